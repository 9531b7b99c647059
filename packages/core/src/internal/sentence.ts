/**
 * `text` as one sentence: trailing whitespace dropped and a full stop added unless it already ends
 * with one (or with "!", "?" or "…"). For messages that quote text they do not control (an SDK's or
 * a server's error message, a user's handler), so "failed: Access denied." does not become "..".
 * @internal
 */
export function asSentence(text: string): string {
  const trimmed = text.trimEnd();
  return /[.!?…]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}
