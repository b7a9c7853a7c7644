/**
 * Why a DCC cannot be imported, and where: `path` is the element path as written in the file
 * (empty for the file as a whole). The importer throws it before anything is written.
 */
export class DccError extends Error {
  override readonly name = 'DccError';

  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(path === '' ? reason : `${path}: ${reason}`);
  }
}
