/**
 * Graph's error messages are written for people, but some name objects by id ("… (assignment
 * 0190…)"). The tab never shows ids: a parenthesis holding an id goes, a bare id becomes "…".
 * Pure, so jest checks it.
 */
const guid = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

export function withoutIds(message: string): string {
  return message
    .replace(new RegExp(`\\s*\\([^()]*${guid.source}[^()]*\\)`, 'gi'), '')
    .replace(new RegExp(`'?${guid.source}'?`, 'gi'), '…')
    .replace(/\s{2,}/g, ' ')
    .trim();
}
