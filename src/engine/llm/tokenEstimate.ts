// The one token estimate for text the model is sent (used when a server reports no usage, and to
// size prompts): about 4 characters per token for English and code.
export const CHARS_PER_TOKEN = 4;

export function estimateTokens(text: string): number {
  return Math.ceil(text.length / CHARS_PER_TOKEN);
}

/** The parts of a chat-completions request that reach the model (the request body's shape). */
export interface SentRequest {
  messages: readonly { content?: unknown; tool_calls?: readonly { function: { name: string; arguments: string } }[] }[];
  tools?: readonly unknown[];
  response_format?: { json_schema?: { schema?: unknown } };
}

/**
 * Characters of everything a request sends the model: message texts, the tool calls replayed from
 * earlier turns, tool schemas and the structured-output schema. Agent sessions re-send tool calls
 * and schemas each step, so counting message texts alone undercounts them.
 */
export function requestChars(body: SentRequest): number {
  let n = 0;
  for (const m of body.messages) {
    if (typeof m.content === 'string') n += m.content.length;
    else if (m.content !== undefined && m.content !== null) n += JSON.stringify(m.content).length;
    for (const c of m.tool_calls ?? []) n += c.function.name.length + c.function.arguments.length;
  }
  if (body.tools?.length) n += JSON.stringify(body.tools).length;
  if (body.response_format?.json_schema?.schema !== undefined) n += JSON.stringify(body.response_format.json_schema.schema).length;
  return n;
}
