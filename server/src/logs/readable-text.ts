// Text as the database can hold it and every reader gets it back: PostgreSQL's `text` cannot hold NUL, and UTF-8
// (the database's encoding, the .log file's and the chunks') cannot hold a lone UTF-16 surrogate, which a JSON
// escape (`"\ud800"`) can put in a JavaScript string. Both become U+FFFD, as invalid UTF-8 in a trainer's output does.

declare global {
  interface String {
    /** ES2024 (Node 20). */
    isWellFormed(): boolean;
    toWellFormed(): string;
  }
}

export const REPLACEMENT_CHARACTER = '\uFFFD';

/** Whether `text` has neither a NUL nor a lone surrogate: the database stores it as it is. */
export const isReadableText = (text: string): boolean => text.isWellFormed() && !text.includes('\0');

/** `text` with each NUL and each lone surrogate replaced by U+FFFD; the same string when it has neither. */
export function readableText(text: string): string {
  if (isReadableText(text)) return text;
  const wellFormed = text.isWellFormed() ? text : text.toWellFormed();
  return wellFormed.includes('\0') ? wellFormed.replaceAll('\0', REPLACEMENT_CHARACTER) : wellFormed;
}
