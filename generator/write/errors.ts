/** An error raised by the writer. `path` names the offending file (relative to the output root when known). */
export class WriteError extends Error {
  readonly path: string;

  constructor(path: string, message: string) {
    super(message);
    this.name = 'WriteError';
    this.path = path;
  }
}
