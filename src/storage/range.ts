/** Argument checks shared by every byte source. */
import { AppError } from '../errors.js';

/**
 * Throws AppError `source_read_error` unless `offset` is a non-negative safe integer and `length`, when given, too.
 * @param url names the object in the message.
 */
export function checkRange(url: URL | string, offset: number, length: number | undefined): void {
  const ok = (n: number): boolean => Number.isSafeInteger(n) && n >= 0;
  if (!ok(offset) || (length !== undefined && !ok(length))) {
    throw new AppError(
      'source_read_error',
      `Invalid byte range for ${String(url)}: offset ${offset}, length ${String(length)}.`,
    );
  }
}

/** The `Range` header of `length` bytes at `offset`, or from `offset` to the end when `length` is undefined. */
export function rangeHeader(offset: number, length: number | undefined): string {
  return `bytes=${offset}-${length === undefined ? '' : offset + length - 1}`;
}
