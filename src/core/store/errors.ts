/** The SQLite index cannot be opened or used. */
export class IndexError extends Error {
  constructor(
    readonly path: string,
    readonly reason: 'newer-schema' | 'unopenable' | 'no-workspace',
    detail: string,
  ) {
    super(detail);
    this.name = 'IndexError';
  }
}
