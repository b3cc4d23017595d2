// The one token estimate for text the model is sent (used when a server reports no usage, and to
// size prompts): about 4 characters per token for English and code.
export const CHARS_PER_TOKEN = 4;

export function estimateTokens(text: string): number {
  return Math.ceil(text.length / CHARS_PER_TOKEN);
}
