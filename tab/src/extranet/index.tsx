/**
 * The team tab "Extranet" and its configuration page (DESIGN §9); App.tsx imports these two, lazily.
 */
export { ExtranetPage } from './ExtranetPage';
export { ExtranetConfigPage } from './ConfigPage';
