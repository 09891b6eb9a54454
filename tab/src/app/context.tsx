import type { Client } from '@microsoft/microsoft-graph-client';
import { createContext, useContext, useMemo } from 'react';
import type { PublicConfig, Session } from './auth';
import type { EarlyLoads } from './earlyLoads';
import type { HostInfo } from './host';
import { Language, Locale, Strings, translator, Translate } from './i18n';

/** What every page gets: where it runs, who is signed in, their Graph client and locale. */
export interface AppContextValue {
  host: HostInfo;
  config: PublicConfig;
  session: Session;
  graph: Client;
  locale: Locale;
  /** The first page's requests, started at sign-in (see earlyLoads.ts). */
  early: EarlyLoads;
}

export const AppContext = createContext<AppContextValue | null>(null);

/** The app's context; pages render only below the signed-in frame, so it is always there. */
export function useApp(): AppContextValue {
  const value = useContext(AppContext);
  if (!value) throw new Error('useApp() outside the signed-in app');
  return value;
}

export const LocaleContext = createContext<Locale>({ language: 'en', tag: 'en-US' });

/** The person's locale (available before sign-in too). */
export function useLocale(): Locale {
  return useContext(LocaleContext);
}

/** A translator over a page's dictionary in the person's language. */
export function useStrings<K extends string>(strings: Strings<K>): Translate<K> {
  const { language } = useLocale();
  return useMemo(() => translator(strings, language as Language), [strings, language]);
}
