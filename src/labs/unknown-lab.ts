// The error for a lab id that is not registered. Its own module (registry.ts re-exports it) so the
// library's type declarations can name it without pulling in every lab.

export class UnknownLabError extends Error {
  constructor(
    readonly id: string,
    readonly known: readonly string[],
  ) {
    super(`unknown lab ${JSON.stringify(id)}; known labs: ${known.join(', ')}`);
    this.name = 'UnknownLabError';
  }
}
