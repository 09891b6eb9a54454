import type { Strings } from './i18n';

/** Words of the tab's frame (sign-in, navigation, shared states); pages keep their own. */
export const appStrings: Strings<
  | 'appName'
  | 'loading'
  | 'signInTitle'
  | 'signInIntro'
  | 'signInDevNote'
  | 'signInAs'
  | 'signInOther'
  | 'signInOtherLabel'
  | 'signInButton'
  | 'signInEntra'
  | 'signInFailed'
  | 'signOut'
  | 'signedInAs'
  | 'startFailed'
  | 'retry'
  | 'notFound'
  | 'goHome'
  | 'networkError'
> = {
  en: {
    appName: 'Portier',
    loading: 'Loading…',
    signInTitle: 'Sign in to Portier',
    signInIntro: 'Sign in to request access, follow your requests and approve the requests of others.',
    signInDevNote: 'Development sign-in: choose a demo account. Partners sign in with their home account.',
    signInAs: 'Sign in as {name}',
    signInOther: 'Another account',
    signInOtherLabel: 'Email address',
    signInButton: 'Sign in',
    signInEntra: 'Sign in with your work or school account',
    signInFailed: 'Sign-in failed: {message}',
    signOut: 'Sign out',
    signedInAs: 'Signed in as {name}',
    startFailed: 'Portier could not start. Check your connection and try again.',
    retry: 'Try again',
    notFound: 'This page does not exist.',
    goHome: 'Go to My access',
    networkError: 'Portier could not be reached. Check your connection and try again.',
  },
  nl: {
    appName: 'Portier',
    loading: 'Laden…',
    signInTitle: 'Aanmelden bij Portier',
    signInIntro: 'Meld u aan om toegang aan te vragen, uw aanvragen te volgen en aanvragen van anderen goed te keuren.',
    signInDevNote: 'Ontwikkelaanmelding: kies een demo-account. Partners melden zich aan met hun eigen account.',
    signInAs: 'Aanmelden als {name}',
    signInOther: 'Ander account',
    signInOtherLabel: 'E-mailadres',
    signInButton: 'Aanmelden',
    signInEntra: 'Aanmelden met uw werk- of schoolaccount',
    signInFailed: 'Aanmelden is mislukt: {message}',
    signOut: 'Afmelden',
    signedInAs: 'Aangemeld als {name}',
    startFailed: 'Portier kon niet starten. Controleer uw verbinding en probeer het opnieuw.',
    retry: 'Opnieuw proberen',
    notFound: 'Deze pagina bestaat niet.',
    goHome: 'Naar Mijn toegang',
    networkError: 'Portier is niet bereikbaar. Controleer uw verbinding en probeer het opnieuw.',
  },
};
