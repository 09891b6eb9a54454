import manifest from '../../appPackage/manifest.json';
import dutch from '../../appPackage/nl.json';

/** The bot's commands, as the manifest's command lists name them (menu order). */
export const commandNames = ['requestAccess', 'myAccess', 'myRequests', 'approvals', 'help'] as const;
export type CommandName = (typeof commandNames)[number];

/**
 * Every title a Teams client may send for a command: the manifest's (English) and the Dutch
 * localization's (`appPackage/nl.json`, e.g. "toegang aanvragen"), for each scope's list. The
 * position in a list names the command, as in the manifest.
 */
function titles(): Map<string, CommandName> {
  const map = new Map<string, CommandName>();
  const lists = manifest.bots[0]?.commandLists ?? [];
  lists.forEach((list, l) => {
    list.commands.forEach((command, c) => {
      const name = commandNames[c];
      if (!name) return;
      map.set(normalize(command.title), name);
      const localized = (dutch as Record<string, string>)[`bots[0].commandLists[${l}].commands[${c}].title`];
      if (localized) map.set(normalize(localized), name);
    });
  });
  return map;
}

const byTitle = titles();

function normalize(text: string): string {
  return text.toLowerCase().replace(/\s+/g, ' ').trim();
}

/**
 * The command a message asks for, after removing the bot's @mention (team and group chats). The
 * text may go on after the title (`request access falcon` searches for "falcon").
 */
export function recognizeCommand(text: string): { command: CommandName; rest: string } | undefined {
  const clean = normalize(text.replace(/<at>[^<]*<\/at>/gi, ' '));
  let best: { command: CommandName; rest: string; length: number } | undefined;
  for (const [title, command] of byTitle) {
    if (clean === title || clean.startsWith(`${title} `)) {
      if (!best || title.length > best.length) best = { command, rest: clean.slice(title.length).trim(), length: title.length };
    }
  }
  return best ? { command: best.command, rest: best.rest } : undefined;
}

const guidPattern = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

/**
 * A package named in chat: a My Access direct link (`…/#/access-packages/{id}`, also Entra's
 * `myaccess.microsoft.com/@tenant#/access-packages/{id}`) or a bare package id.
 */
export function packageIdIn(text: string): string | undefined {
  const clean = text.replace(/<[^>]+>/g, ' ');
  const link = /access-?packages\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/i.exec(clean);
  if (link) return link[1].toLowerCase();
  const bare = clean.trim();
  if (bare.length === 36 && guidPattern.test(bare)) return bare.toLowerCase();
  return undefined;
}
