import { withoutIds } from '../../tab/src/app/messages';
import { detectHost, mayBeTeams, TeamsContext } from '../../tab/src/app/host';
import { formatDate, pickLocale, translator } from '../../tab/src/app/i18n';
import { parseRoute, routeHash } from '../../tab/src/app/route';
import { themeFromBrowser, themeFromTeams } from '../../tab/src/app/theme';

describe(themeFromTeams.name, () => {
  it.each([
    ['default', 'webLight'],
    ['dark', 'webDark'],
    ['contrast', 'teamsHighContrast'],
    [undefined, 'webLight'],
    ['something-new', 'webLight'],
  ])('Teams theme %s is Fluent %s', (teams, fluent) => {
    expect(themeFromTeams(teams)).toBe(fluent);
  });
});

describe(themeFromBrowser.name, () => {
  it('follows the colour scheme, and forced colours win', () => {
    expect(themeFromBrowser({ dark: false, forcedColors: false })).toBe('webLight');
    expect(themeFromBrowser({ dark: true, forcedColors: false })).toBe('webDark');
    expect(themeFromBrowser({ dark: true, forcedColors: true })).toBe('teamsHighContrast');
  });
});

describe(detectHost.name, () => {
  const context: TeamsContext = { locale: 'nl-nl', theme: 'webDark', team: { groupId: 'g1' } };

  it('does not ask Teams from a top-level page without a native bridge', async () => {
    const initialize = jest.fn(async () => context);
    expect(mayBeTeams({ framed: false, nativeInterface: false })).toBe(false);
    await expect(detectHost({ framed: false, nativeInterface: false }, initialize, 1000)).resolves.toEqual({ kind: 'web' });
    expect(initialize).not.toHaveBeenCalled();
  });

  it('is Teams when a framed page gets a context', async () => {
    await expect(detectHost({ framed: true, nativeInterface: false }, async () => context, 1000)).resolves.toEqual({ kind: 'teams', context });
    await expect(detectHost({ framed: false, nativeInterface: true }, async () => context, 1000)).resolves.toEqual({ kind: 'teams', context });
  });

  it('is plain web when initialize fails or never answers', async () => {
    await expect(detectHost({ framed: true, nativeInterface: false }, () => Promise.reject(new Error('no host')), 1000)).resolves.toEqual({ kind: 'web' });
    await expect(detectHost({ framed: true, nativeInterface: false }, () => new Promise<TeamsContext>(() => undefined), 5)).resolves.toEqual({ kind: 'web' });
  });
});

describe(pickLocale.name, () => {
  it("prefers Teams' locale over the browser's", () => {
    expect(pickLocale('nl-nl', ['en-US'])).toEqual({ language: 'nl', tag: 'nl-NL' });
    expect(pickLocale('en-gb', ['nl-NL'])).toEqual({ language: 'en', tag: 'en-GB' });
  });
  it('takes the first browser language it speaks, else English with the browser tag for dates', () => {
    expect(pickLocale(undefined, ['fr-FR', 'nl-BE', 'en'])).toEqual({ language: 'nl', tag: 'nl-BE' });
    expect(pickLocale(undefined, ['fr-FR'])).toEqual({ language: 'en', tag: 'fr-FR' });
    expect(pickLocale('de-DE', ['nl-NL'])).toEqual({ language: 'en', tag: 'de-DE' });
  });
});

describe(translator.name, () => {
  const strings = { en: { hello: 'Hello {name}', only: 'Only English' }, nl: { hello: 'Hallo {name}', only: '' } };
  it('fills placeholders in the chosen language and keeps unknown ones', () => {
    expect(translator(strings, 'nl')('hello', { name: 'Ruth' })).toBe('Hallo Ruth');
    expect(translator(strings, 'en')('hello')).toBe('Hello {name}');
  });
});

describe(formatDate.name, () => {
  it('formats in the full locale and is empty for no date', () => {
    expect(formatDate('2026-03-05T10:00:00Z', { language: 'nl', tag: 'nl-NL' })).toBe('5 mrt 2026');
    expect(formatDate('2026-03-05T10:00:00Z', { language: 'en', tag: 'en-US' })).toBe('Mar 5, 2026');
    expect(formatDate(null, { language: 'en', tag: 'en-US' })).toBe('');
    expect(formatDate('not a date', { language: 'en', tag: 'en-US' })).toBe('');
  });
});

describe(parseRoute.name, () => {
  it.each([
    ['', { page: 'my-access', section: 'catalog' }],
    ['#/my-access', { page: 'my-access', section: 'catalog' }],
    ['#/my-access/approvals', { page: 'my-access', section: 'approvals' }],
    ['#/my-access/nonsense', { page: 'not-found' }],
    ['#/access-packages/0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b', { page: 'access-package', id: '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b' }],
    ['#/access-packages/<script>', { page: 'not-found' }],
    ['#/extranet', { page: 'extranet', path: '' }],
    ['#/extranet/packages/1', { page: 'extranet', path: 'packages/1' }],
    ['#/extranet/configure', { page: 'extranet-configure' }],
  ])('%s', (hash, route) => {
    expect(parseRoute(hash)).toEqual(route);
  });
  it('round-trips through routeHash', () => {
    for (const hash of ['#/my-access', '#/my-access/reviews', '#/access-packages/abc-1', '#/extranet', '#/extranet/configure']) {
      expect(routeHash(parseRoute(hash))).toBe(hash);
    }
  });
});

describe(withoutIds.name, () => {
  it("keeps Graph's words and drops the ids in them", () => {
    expect(withoutIds("This user already has access package 'Falcon' (assignment 01a23174-0fa3-7b06-b29a-001c040861b2).")).toBe("This user already has access package 'Falcon'.");
    expect(withoutIds("No accessPackage with id '01a23174-0fa3-7b06-b29a-001c040861b2' was found.")).toBe('No accessPackage with id … was found.');
    expect(withoutIds('Property justification is required.')).toBe('Property justification is required.');
  });
});
