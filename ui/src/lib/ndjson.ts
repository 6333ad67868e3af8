// Newline-delimited JSON (`application/x-ndjson`), as it streams in: chunks of text
// cut anywhere, even inside a line or a multi-byte character (the decoder keeps those).

/** Splits text chunks into whole lines; a line cut between chunks waits for its end.
 * Blank lines and `\r` before `\n` are dropped. */
export class LineSplitter {
  private rest = '';

  /** The lines completed by `chunk`. */
  push(chunk: string): string[] {
    const text = this.rest + chunk;
    const parts = text.split('\n');
    this.rest = parts.pop() ?? '';
    return clean(parts);
  }

  /** The last line when the stream ends without a newline. */
  end(): string[] {
    const last = this.rest;
    this.rest = '';
    return clean([last]);
  }
}

function clean(lines: string[]): string[] {
  const out: string[] = [];
  for (const line of lines) {
    const l = line.endsWith('\r') ? line.slice(0, -1) : line;
    if (l.trim() !== '') out.push(l);
  }
  return out;
}

/** Every line of a whole body (a transport that cannot stream). */
export function splitLines(text: string): string[] {
  const splitter = new LineSplitter();
  return [...splitter.push(text), ...splitter.end()];
}
