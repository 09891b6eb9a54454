/**
 * English and Dutch. The language comes from Teams' locale inside Teams, else from the browser;
 * dates and numbers are formatted in the person's full locale (`nl-BE`, `en-GB`, …), so only the
 * words are limited to two languages. Pure: no DOM, testable with jest.
 */
export type Language = 'en' | 'nl';

export interface Locale {
  /** The language of the words. */
  language: Language;
  /** The BCP 47 tag dates and numbers are formatted with. */
  tag: string;
}

/** Chooses the locale: Teams' locale when there is one, else the first browser language we speak. */
export function pickLocale(teamsLocale: string | undefined, browserLanguages: readonly string[]): Locale {
  const candidates = teamsLocale ? [teamsLocale] : browserLanguages;
  for (const candidate of candidates) {
    const language = candidate.toLowerCase().split(/[-_]/)[0];
    if (language === 'nl' || language === 'en') return { language, tag: normalizeTag(candidate) };
  }
  return { language: 'en', tag: normalizeTag(candidates[0] ?? 'en-US') };
}

function normalizeTag(tag: string): string {
  try {
    return Intl.getCanonicalLocales(tag.replace('_', '-'))[0] ?? 'en-US';
  } catch {
    return 'en-US';
  }
}

/** A dictionary: every language has every key of the English one (the compiler checks it). */
export type Strings<K extends string> = Record<Language, Record<K, string>>;

/** A translator for one language: `t('key', { name: 'x' })` fills `{name}` placeholders. */
export type Translate<K extends string> = (key: K, params?: Record<string, string | number>) => string;

/** Builds the translator of `language` over `strings`. */
export function translator<K extends string>(strings: Strings<K>, language: Language): Translate<K> {
  const table = strings[language];
  return (key, params) => {
    const text = table[key] ?? strings.en[key] ?? key;
    if (!params) return text;
    return text.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
  };
}

/** A date (and time when `withTime`) in the person's locale; empty for no date. */
export function formatDate(iso: string | null | undefined, locale: Locale, withTime = false): string {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  return new Intl.DateTimeFormat(locale.tag, withTime ? { dateStyle: 'medium', timeStyle: 'short' } : { dateStyle: 'medium' }).format(date);
}

/** A whole number in the person's locale. */
export function formatNumber(value: number, locale: Locale): string {
  return new Intl.NumberFormat(locale.tag).format(value);
}
