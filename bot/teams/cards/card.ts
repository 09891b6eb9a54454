/**
 * Typed Adaptive Card elements (schema 1.5, what Teams renders) and small builders. Cards are
 * plain objects built from these types, never strings; `data` of an action carries a verb's ids only.
 */
export const cardVersion = '1.5';

export interface TextBlock {
  type: 'TextBlock';
  text: string;
  wrap?: boolean;
  weight?: 'Default' | 'Bolder';
  size?: 'Small' | 'Default' | 'Medium' | 'Large';
  color?: 'Default' | 'Accent' | 'Good' | 'Warning' | 'Attention';
  isSubtle?: boolean;
  spacing?: 'None' | 'Small' | 'Medium' | 'Large';
  style?: 'heading';
}
export interface Fact {
  title: string;
  value: string;
}
export interface FactSet {
  type: 'FactSet';
  facts: Fact[];
}
export interface Container {
  type: 'Container';
  items: CardElement[];
  separator?: boolean;
  style?: 'default' | 'emphasis' | 'good' | 'attention' | 'warning' | 'accent';
}
export interface InputText {
  type: 'Input.Text';
  id: string;
  label?: string;
  placeholder?: string;
  isMultiline?: boolean;
  isRequired?: boolean;
  errorMessage?: string;
  regex?: string;
  maxLength?: number;
  value?: string;
}
export interface InputChoiceSet {
  type: 'Input.ChoiceSet';
  id: string;
  label?: string;
  choices: Array<{ title: string; value: string }>;
  isRequired?: boolean;
  errorMessage?: string;
  style?: 'compact' | 'expanded';
  value?: string;
}
export interface InputDate {
  type: 'Input.Date';
  id: string;
  label?: string;
  isRequired?: boolean;
  errorMessage?: string;
  min?: string;
  max?: string;
}
export interface ActionSet {
  type: 'ActionSet';
  actions: CardAction[];
}
export type CardElement = TextBlock | FactSet | Container | InputText | InputChoiceSet | InputDate | ActionSet;

/** What a card action's `data` may hold: ids (and a page position), nothing the bot would have to trust. */
export type CardData = Readonly<Partial<Record<'requestId' | 'stageId' | 'assignmentId' | 'accessPackageId' | 'definitionId' | 'instanceId' | 'decisionId' | 'page', string>>>;

export interface ExecuteAction {
  type: 'Action.Execute';
  title: string;
  verb: string;
  data: CardData;
  style?: 'default' | 'positive' | 'destructive';
  /** `auto`: the card's inputs travel with the action (validated by the client when required). */
  associatedInputs?: 'auto' | 'none';
}
export interface OpenUrlAction {
  type: 'Action.OpenUrl';
  title: string;
  url: string;
}
export type CardAction = ExecuteAction | OpenUrlAction;

export interface AdaptiveCard {
  type: 'AdaptiveCard';
  $schema: 'http://adaptivecards.io/schemas/adaptive-card.json';
  version: typeof cardVersion;
  body: CardElement[];
  actions?: CardAction[];
  /** Universal Actions: Teams asks the bot for each listed viewer's own view when they open the chat. */
  refresh?: { action: ExecuteAction; userIds?: string[] };
  msteams?: { width: 'Full' };
}

export function card(body: CardElement[], options: { actions?: CardAction[]; refresh?: AdaptiveCard['refresh'] } = {}): AdaptiveCard {
  return {
    type: 'AdaptiveCard',
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    version: cardVersion,
    body,
    ...(options.actions && options.actions.length > 0 ? { actions: options.actions } : {}),
    ...(options.refresh ? { refresh: options.refresh } : {}),
    msteams: { width: 'Full' },
  };
}

export const heading = (text: string): TextBlock => ({ type: 'TextBlock', text, wrap: true, weight: 'Bolder', size: 'Medium', style: 'heading' });
export const text = (value: string, extra: Partial<TextBlock> = {}): TextBlock => ({ type: 'TextBlock', text: value, wrap: true, ...extra });
export const facts = (items: ReadonlyArray<readonly [string, string | null | undefined]>): FactSet => ({
  type: 'FactSet',
  facts: items.filter((f): f is readonly [string, string] => typeof f[1] === 'string' && f[1] !== '').map(([title, value]) => ({ title, value })),
});
export const execute = (title: string, verb: string, data: CardData, extra: Partial<ExecuteAction> = {}): ExecuteAction => ({ type: 'Action.Execute', title, verb, data, ...extra });

/** The Teams attachment of a card. */
export function attachment(content: AdaptiveCard): { contentType: 'application/vnd.microsoft.card.adaptive'; content: AdaptiveCard } {
  return { contentType: 'application/vnd.microsoft.card.adaptive', content };
}

/** Adaptive Card text is markdown: names from the directory must not become formatting or links. */
export function plain(value: string | null | undefined): string {
  return (value ?? '').replace(/([\\`*_[\]])/g, '\\$1');
}
