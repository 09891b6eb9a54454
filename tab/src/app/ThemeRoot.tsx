import { FluentProvider, teamsHighContrastTheme, Theme, webDarkTheme, webLightTheme } from '@fluentui/react-components';
import { ReactNode, useEffect, useState } from 'react';
import type { HostInfo } from './host';
import { loadTeamsJs } from './teams';
import { ThemeName, themeFromBrowser, themeFromTeams } from './theme';

const themes: Record<ThemeName, Theme> = { webLight: webLightTheme, webDark: webDarkTheme, teamsHighContrast: teamsHighContrastTheme };

function browserTheme(): ThemeName {
  return themeFromBrowser({ dark: matchMedia('(prefers-color-scheme: dark)').matches, forcedColors: matchMedia('(forced-colors: active)').matches });
}

/** The current theme, following Teams' theme changes inside Teams and the browser's outside. */
export function useThemeName(host: HostInfo | undefined): ThemeName {
  const [name, setName] = useState<ThemeName>(() => (host?.kind === 'teams' ? host.context.theme : browserTheme()));
  useEffect(() => {
    if (host?.kind === 'teams') {
      setName(host.context.theme);
      let active = true;
      void loadTeamsJs().then((teams) => teams.app.registerOnThemeChangeHandler((theme) => active && setName(themeFromTeams(theme))));
      return () => {
        active = false;
      };
    }
    const queries = [matchMedia('(prefers-color-scheme: dark)'), matchMedia('(forced-colors: active)')];
    const update = () => setName(browserTheme());
    update();
    queries.forEach((q) => q.addEventListener('change', update));
    return () => queries.forEach((q) => q.removeEventListener('change', update));
  }, [host]);
  return name;
}

/** Fluent's provider with the theme of `name`, filling the page. */
export function ThemeRoot(props: { name: ThemeName; lang: string; children: ReactNode }) {
  useEffect(() => {
    document.documentElement.lang = props.lang;
    document.documentElement.dataset.theme = props.name;
  }, [props.lang, props.name]);
  return (
    <FluentProvider theme={themes[props.name]} style={{ minHeight: '100vh' }}>
      {props.children}
    </FluentProvider>
  );
}
