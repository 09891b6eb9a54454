/**
 * Which Fluent theme a page uses. Teams says `default`, `dark` or `contrast`; a plain page follows
 * the browser's colour scheme and forced colours. Kept free of Fluent imports so jest tests it alone.
 */
export type ThemeName = 'webLight' | 'webDark' | 'teamsHighContrast';

/** Maps the theme name Teams reports (`app.Context.app.theme`) to a Fluent theme. Unknown → light. */
export function themeFromTeams(teamsTheme: string | undefined): ThemeName {
  switch (teamsTheme) {
    case 'dark':
      return 'webDark';
    case 'contrast':
      return 'teamsHighContrast';
    default:
      return 'webLight';
  }
}

/** The theme of a plain web page, from the `prefers-color-scheme` and `forced-colors` media queries. */
export function themeFromBrowser(media: { dark: boolean; forcedColors: boolean }): ThemeName {
  if (media.forcedColors) return 'teamsHighContrast';
  return media.dark ? 'webDark' : 'webLight';
}
