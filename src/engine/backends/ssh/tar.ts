// A minimal tar (ustar + pax path records) writer and reader: files move to and from the host as one
// stream over an exec channel (GNU tar on the remote side), with no local tar binary needed, and
// every name coming back is checked before anything is written.

const BLOCK = 512;

export interface TarFile {
  name: string;
  data: Buffer;
  mode?: number;
  mtimeMs?: number;
}

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, '0') + '\0';
}

function header(name: string, size: number, type: string, mode: number, mtimeMs: number): Buffer {
  const h = Buffer.alloc(BLOCK);
  h.write(name, 0, 100, 'utf8');
  h.write(octal(mode & 0o7777, 8), 100, 'latin1');
  h.write(octal(0, 8), 108, 'latin1');
  h.write(octal(0, 8), 116, 'latin1');
  h.write(octal(size, 12), 124, 'latin1');
  h.write(octal(Math.floor(mtimeMs / 1000), 12), 136, 'latin1');
  h.write('        ', 148, 'latin1');
  h.write(type, 156, 'latin1');
  h.write('ustar\0', 257, 'latin1');
  h.write('00', 263, 'latin1');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1');
  return h;
}

function pad(size: number): Buffer {
  return Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK);
}

/** A pax record "<len> key=value\n", where len counts the whole record including itself. */
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let len = Buffer.byteLength(body) + 1;
  while (String(len).length + Buffer.byteLength(body) !== len) len = String(len).length + Buffer.byteLength(body);
  return `${len}${body}`;
}

export function packTar(files: readonly TarFile[]): Buffer {
  const parts: Buffer[] = [];
  for (const f of files) {
    const mtime = f.mtimeMs ?? Date.now();
    let name = f.name;
    if (Buffer.byteLength(name) > 99 || /[^\x20-\x7e]/.test(name)) {
      const pax = Buffer.from(paxRecord('path', name), 'utf8');
      parts.push(header('PaxHeader', pax.length, 'x', 0o644, mtime), pax, pad(pax.length));
      name = name.replace(/[^\x20-\x7e]/g, '_').slice(-99);
    }
    parts.push(header(name, f.data.length, '0', f.mode ?? 0o644, mtime), f.data, pad(f.data.length));
  }
  parts.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(parts);
}

function readString(buf: Buffer, start: number, len: number): string {
  const slice = buf.subarray(start, start + len);
  const nul = slice.indexOf(0);
  return slice.subarray(0, nul === -1 ? len : nul).toString('utf8');
}

function readOctal(buf: Buffer, start: number, len: number): number {
  const text = readString(buf, start, len).trim();
  if (!/^[0-7]*$/.test(text)) throw new Error(`malformed tar number ${JSON.stringify(text)}`);
  return text ? parseInt(text, 8) : 0;
}

export interface TarEntry {
  name: string;
  type: 'file' | 'dir' | 'other';
  data: Buffer;
  mode: number;
}

/** Reads an archive; pax `path`/`size` and GNU long names are honoured, checksums verified. */
export function unpackTar(buf: Buffer): TarEntry[] {
  const entries: TarEntry[] = [];
  let pos = 0;
  let nextName: string | undefined;
  let nextSize: number | undefined;
  while (pos + BLOCK <= buf.length) {
    const h = buf.subarray(pos, pos + BLOCK);
    if (h.every((b) => b === 0)) break;
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : h[i];
    if (sum !== readOctal(h, 148, 8)) throw new Error(`tar header checksum mismatch at byte ${pos}`);
    const type = String.fromCharCode(h[156] || 48);
    // A pax `size` describes the next real entry, never another extended header.
    const meta = type === 'x' || type === 'g' || type === 'L';
    const size = meta ? readOctal(h, 124, 12) : (nextSize ?? readOctal(h, 124, 12));
    if (!Number.isSafeInteger(size) || size < 0) throw new Error(`malformed tar size at byte ${pos}`);
    const dataStart = pos + BLOCK;
    if (dataStart + size > buf.length) throw new Error('truncated tar archive');
    const data = buf.subarray(dataStart, dataStart + size);
    pos = dataStart + size + ((BLOCK - (size % BLOCK)) % BLOCK);
    if (type === 'x') {
      for (const [k, v] of parsePax(data)) {
        if (k === 'path') nextName = v;
        if (k === 'size') {
          if (!/^\d{1,15}$/.test(v)) throw new Error(`malformed pax size ${JSON.stringify(v.slice(0, 40))}`);
          nextSize = Number(v);
        }
      }
      continue;
    }
    if (type === 'g') continue;
    if (type === 'L') {
      nextName = readString(data, 0, data.length);
      continue;
    }
    const prefix = readString(h, 345, 155);
    const name = nextName ?? (prefix ? `${prefix}/${readString(h, 0, 100)}` : readString(h, 0, 100));
    nextName = undefined;
    nextSize = undefined;
    entries.push({ name, type: type === '0' || type === '7' ? 'file' : type === '5' ? 'dir' : 'other', data, mode: readOctal(h, 100, 8) });
  }
  return entries;
}

function parsePax(data: Buffer): [string, string][] {
  const out: [string, string][] = [];
  let pos = 0;
  while (pos < data.length) {
    const space = data.indexOf(0x20, pos);
    if (space === -1) break;
    const len = Number(data.subarray(pos, space).toString('latin1'));
    if (!Number.isInteger(len) || len <= 0 || pos + len > data.length) throw new Error('malformed pax header');
    const record = data.subarray(space + 1, pos + len - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq > 0) out.push([record.slice(0, eq), record.slice(eq + 1)]);
    pos += len;
  }
  return out;
}
