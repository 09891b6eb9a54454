import type { Strings } from '../strings';
import { AdaptiveCard, card, heading, text, facts } from './card';

/** The welcome on install: what Portier does, and the commands. */
export function welcomeCard(s: Strings): AdaptiveCard {
  return card([heading(s.welcomeTitle), text(s.welcomeText), facts(s.helpCommands.map(([c, d]) => [c, d])), text(s.helpInTeam, { isSubtle: true, size: 'Small' })]);
}

/** `help`: the commands and what they do. */
export function helpCard(s: Strings): AdaptiveCard {
  return card([heading(s.helpTitle), facts(s.helpCommands.map(([c, d]) => [c, d])), text(s.helpInTeam, { isSubtle: true, size: 'Small' })]);
}

/** A short message as a card (errors of card actions, confirmations). */
export function messageCard(title: string, message: string, tone: 'Default' | 'Good' | 'Attention' | 'Warning' = 'Default'): AdaptiveCard {
  return card([heading(title), text(message, { color: tone })]);
}
