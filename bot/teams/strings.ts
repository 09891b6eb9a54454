/**
 * Every text the bot shows, in English and Dutch. The language follows the activity's locale
 * (Dutch for `nl-*`); dates are written in the person's locale. Strings are functions where they
 * take values, so a missing value is a type error rather than a "{0}" in a card.
 */
export type Language = 'en' | 'nl';

export function languageOf(locale: string | null | undefined): Language {
  return locale && /^nl(-|$)/i.test(locale) ? 'nl' : 'en';
}

/** A date and time in the person's locale (UTC, said so: Teams does not tell the bot the time zone of a notice's reader). */
export function formatDateTime(iso: string | null | undefined, locale: string | null | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '—';
  const tag = locale && /^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/.test(locale) ? locale : languageOf(locale) === 'nl' ? 'nl-NL' : 'en-US';
  try {
    return `${dateTimeFormat(tag).format(date)} UTC`;
  } catch {
    return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  }
}

// Building an Intl.DateTimeFormat costs far more than formatting with one (~0.5 ms against µs); a card has several dates.
const formats = new Map<string, Intl.DateTimeFormat>();
function dateTimeFormat(tag: string): Intl.DateTimeFormat {
  let format = formats.get(tag);
  if (!format) {
    format = new Intl.DateTimeFormat(tag, { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' });
    // Locales come from activities: keep the cache small whatever they send.
    if (formats.size >= 100) formats.clear();
    formats.set(tag, format);
  }
  return format;
}

const en = {
  appName: 'Portier',
  welcomeTitle: 'Welcome to Portier',
  welcomeText:
    'Portier brings access to teams, groups and SharePoint sites into Teams chat: request access to a package, approve or deny requests with one click, and hear in time when your access ends so you can extend it.',
  helpTitle: 'What Portier can do',
  helpCommands: [
    ['request access', 'find an access package and request it (you can also paste a direct link or a package id)'],
    ['my access', 'what you have, when it ends; extend or leave it'],
    ['my requests', 'your open requests; cancel the ones you no longer need'],
    ['approvals', 'requests waiting for your decision'],
    ['help', 'this overview'],
  ] as ReadonlyArray<readonly [string, string]>,
  helpInTeam: 'In a team or group chat, mention Portier; answers come in your personal chat.',
  movedToPersonal: 'I answered you in our personal chat.',
  notUnderstood: (text: string) => `I did not understand "${text}". Type **help** to see what I can do.`,
  notActing: 'Portier cannot act for you here: it serves only the people of its own organization and their guests.',
  somethingWrong: 'Something went wrong on our side. Please try again in a moment.',
  // approvals
  approvalTitle: 'Access request waiting for your approval',
  approvalDecidedTitle: 'Access request decided',
  requestor: 'Requestor',
  organization: 'Organization',
  mail: 'Mail',
  accessPackage: 'Access package',
  catalog: 'Catalog',
  resources: 'Resources',
  answers: 'Answers',
  justification: 'Justification',
  schedule: 'Requested',
  scheduleFromTo: (from: string, to: string) => `${from} – ${to}`,
  scheduleFrom: (from: string) => `from ${from}`,
  stage: (n: number, m: number) => `Stage ${n} of ${m}`,
  due: 'Decide by',
  fallbackAsked: 'You are asked as fallback approver: no primary approver could be found.',
  escalationAsked: 'You are asked as escalation approver: the first approvers did not decide in time.',
  reminder: 'Reminder: this request is still waiting for a decision.',
  justificationPlaceholder: 'Why do you approve or deny?',
  justificationRequired: 'A justification is required for this decision.',
  approve: 'Approve',
  deny: 'Deny',
  decidedBy: (who: string, how: string, when: string) => `${how} by ${who} on ${when}`,
  approved: 'Approved',
  denied: 'Denied',
  youDecided: (how: string) => `You ${how.toLowerCase()} this request.`,
  notPendingAnyMore: 'This request is no longer waiting for a decision.',
  alreadyDecided: 'This stage was already decided; your click changed nothing.',
  notYourApproval: 'You are not an approver of this request; nothing was changed.',
  notFound: 'This item no longer exists or you may not see it; nothing was changed.',
  invalidAction: 'This card action is not valid; nothing was changed.',
  stateOfRequest: (state: string) => `Request status: ${state}`,
  // notices to requestor/target
  requestSubmitted: (pkg: string) => `Your request for **${pkg}** was submitted.`,
  requestApprovedStage: (pkg: string) => `Your request for **${pkg}** was approved; access is being delivered.`,
  requestDenied: (pkg: string) => `Your request for **${pkg}** was denied.`,
  requestExpired: (pkg: string) => `Your request for **${pkg}** expired: nobody decided in time.`,
  requestCanceled: (pkg: string) => `The request for **${pkg}** was canceled.`,
  requestEndedForApprover: (pkg: string) => `The request for **${pkg}** no longer needs your decision.`,
  delivered: (pkg: string) => `You now have access to **${pkg}**.`,
  deliveredUntil: (date: string) => `Your access ends on ${date}.`,
  deliveryFailed: (pkg: string, when: string) => `Access to **${pkg}** could not be delivered yet. Portier tries again at ${when}.`,
  expiringSoon: (pkg: string, date: string) => `Your access to **${pkg}** ends on ${date}.`,
  extend: 'Extend',
  extendRequested: (pkg: string) => `Your extension of **${pkg}** was requested.`,
  expired: (pkg: string) => `Your access to **${pkg}** has ended.`,
  removed: (pkg: string) => `Your access to **${pkg}** was removed.`,
  extended: (pkg: string, date: string) => `Your access to **${pkg}** was extended until ${date}.`,
  reason: 'Reason',
  // reviews
  reviewStarted: 'You are asked to review access',
  reviewDue: 'Review by',
  reviewCompleted: (removed: number) => `An access review you took part in has ended; ${removed} assignment(s) were removed.`,
  reviewItem: (who: string, pkg: string) => `${who} — ${pkg}`,
  recommendation: 'Recommendation',
  dontKnow: "Don't know",
  reviewDecided: (how: string) => `Recorded: ${how}`,
  more: 'More',
  // guests
  guestToBeBlocked: (date: string) => `Your last access in this organization has ended. Your guest account will be blocked on ${date} unless you get access again.`,
  guestToBeBlockedSponsor: (guest: string, date: string) => `${guest}, a guest you sponsor, lost their last access. Their account will be blocked on ${date} unless they get access again.`,
  guestBlocked: 'Your guest account was blocked because you no longer have access.',
  guestBlockedSponsor: (guest: string) => `${guest}, a guest you sponsor, was blocked.`,
  guestDeleteOn: (date: string) => `It will be deleted on ${date}.`,
  guestToBeDeleted: (date: string) => `Your guest account will be deleted on ${date}.`,
  guestToBeDeletedSponsor: (guest: string, date: string) => `${guest}, a guest you sponsor, will be deleted on ${date}.`,
  guestDeletedSponsor: (guest: string) => `${guest}, a guest you sponsored, was deleted from the directory.`,
  guestKept: 'You have access again; your guest account stays.',
  guestKeptSponsor: (guest: string) => `${guest}, a guest you sponsor, has access again and stays.`,
  requestAgain: 'Request access again',
  // requests in chat
  packagesTitle: 'Access packages you can request',
  noPackages: 'There are no access packages you can request.',
  search: 'Search',
  searchPlaceholder: 'Name of the package',
  request: 'Request',
  requestTitle: (pkg: string) => `Request ${pkg}`,
  submit: 'Submit request',
  startDate: 'Start',
  endDate: 'End',
  required: 'This field is required.',
  requiredInFormat: 'This field is required, in the form the question asks for.',
  inFormat: 'This answer is not in the form the question asks for.',
  statusTitle: (pkg: string) => `Your request for ${pkg}`,
  myRequestsTitle: 'Your open requests',
  noRequests: 'You have no open requests.',
  cancel: 'Cancel request',
  canceled: 'Canceled.',
  myAccessTitle: 'Your access',
  noAccess: 'You have no access packages.',
  endsOn: (date: string) => `Ends ${date}`,
  noEnd: 'No end date',
  leave: 'Leave',
  leaveRequested: (pkg: string) => `You asked to leave **${pkg}**.`,
  approvalsTitle: 'Requests waiting for your decision',
  noApprovals: 'Nothing is waiting for your decision.',
  waitingTitle: 'While we could not reach you',
  waitingApprovals: (n: number) => `${n} request(s) wait for your decision. Type **approvals** to see them.`,
  waitingRequests: (n: number) => `${n} of your request(s) are open. Type **my requests** to follow them.`,
  state: {
    submitted: 'submitted',
    pendingApproval: 'waiting for approval',
    delivering: 'being delivered',
    delivered: 'delivered',
    deliveryFailed: 'delivery failed',
    denied: 'denied',
    canceled: 'canceled',
    scheduled: 'scheduled',
    partiallyDelivered: 'partially delivered',
  } as Record<string, string>,
};

export type Strings = typeof en;

const nl: Strings = {
  appName: 'Portier',
  welcomeTitle: 'Welkom bij Portier',
  welcomeText:
    'Portier brengt toegang tot teams, groepen en SharePoint-sites naar de Teams-chat: vraag toegang aan tot een pakket, keur aanvragen met één klik goed of af, en hoor op tijd wanneer je toegang afloopt zodat je die kunt verlengen.',
  helpTitle: 'Wat Portier kan',
  helpCommands: [
    ['toegang aanvragen', 'zoek een toegangspakket en vraag het aan (je kunt ook een directe link of pakket-id plakken)'],
    ['mijn toegang', 'wat je hebt en wanneer het afloopt; verlengen of beëindigen'],
    ['mijn aanvragen', 'je openstaande aanvragen; annuleer wat je niet meer nodig hebt'],
    ['goedkeuringen', 'aanvragen die op jouw besluit wachten'],
    ['help', 'dit overzicht'],
  ],
  helpInTeam: 'Noem Portier in een team- of groepschat; het antwoord komt in je persoonlijke chat.',
  movedToPersonal: 'Ik heb je geantwoord in onze persoonlijke chat.',
  notUnderstood: (text) => `Ik begreep "${text}" niet. Typ **help** om te zien wat ik kan.`,
  notActing: 'Portier kan hier niet namens jou handelen: het bedient alleen de mensen van de eigen organisatie en hun gasten.',
  somethingWrong: 'Er ging bij ons iets mis. Probeer het zo nog eens.',
  approvalTitle: 'Toegangsaanvraag wacht op je goedkeuring',
  approvalDecidedTitle: 'Over de toegangsaanvraag is beslist',
  requestor: 'Aanvrager',
  organization: 'Organisatie',
  mail: 'E-mail',
  accessPackage: 'Toegangspakket',
  catalog: 'Catalogus',
  resources: 'Resources',
  answers: 'Antwoorden',
  justification: 'Motivering',
  schedule: 'Gevraagd',
  scheduleFromTo: (from, to) => `${from} – ${to}`,
  scheduleFrom: (from) => `vanaf ${from}`,
  stage: (n, m) => `Fase ${n} van ${m}`,
  due: 'Beslis vóór',
  fallbackAsked: 'Je bent gevraagd als vervangende fiatteur: er werd geen primaire fiatteur gevonden.',
  escalationAsked: 'Je bent gevraagd als escalatiefiatteur: de eerste fiatteurs beslisten niet op tijd.',
  reminder: 'Herinnering: deze aanvraag wacht nog op een besluit.',
  justificationPlaceholder: 'Waarom keur je goed of af?',
  justificationRequired: 'Voor dit besluit is een motivering verplicht.',
  approve: 'Goedkeuren',
  deny: 'Afwijzen',
  decidedBy: (who, how, when) => `${how} door ${who} op ${when}`,
  approved: 'Goedgekeurd',
  denied: 'Afgewezen',
  youDecided: (how) => `Jij hebt deze aanvraag ${how.toLowerCase()}.`,
  notPendingAnyMore: 'Deze aanvraag wacht niet meer op een besluit.',
  alreadyDecided: 'Over deze fase was al beslist; je klik heeft niets veranderd.',
  notYourApproval: 'Je bent geen fiatteur van deze aanvraag; er is niets veranderd.',
  notFound: 'Dit bestaat niet meer of je mag het niet zien; er is niets veranderd.',
  invalidAction: 'Deze kaartactie is niet geldig; er is niets veranderd.',
  stateOfRequest: (state) => `Status van de aanvraag: ${state}`,
  requestSubmitted: (pkg) => `Je aanvraag voor **${pkg}** is ingediend.`,
  requestApprovedStage: (pkg) => `Je aanvraag voor **${pkg}** is goedgekeurd; de toegang wordt geleverd.`,
  requestDenied: (pkg) => `Je aanvraag voor **${pkg}** is afgewezen.`,
  requestExpired: (pkg) => `Je aanvraag voor **${pkg}** is verlopen: niemand besliste op tijd.`,
  requestCanceled: (pkg) => `De aanvraag voor **${pkg}** is geannuleerd.`,
  requestEndedForApprover: (pkg) => `De aanvraag voor **${pkg}** heeft je besluit niet meer nodig.`,
  delivered: (pkg) => `Je hebt nu toegang tot **${pkg}**.`,
  deliveredUntil: (date) => `Je toegang eindigt op ${date}.`,
  deliveryFailed: (pkg, when) => `Toegang tot **${pkg}** kon nog niet worden geleverd. Portier probeert het opnieuw op ${when}.`,
  expiringSoon: (pkg, date) => `Je toegang tot **${pkg}** eindigt op ${date}.`,
  extend: 'Verlengen',
  extendRequested: (pkg) => `Je verlenging van **${pkg}** is aangevraagd.`,
  expired: (pkg) => `Je toegang tot **${pkg}** is beëindigd.`,
  removed: (pkg) => `Je toegang tot **${pkg}** is ingetrokken.`,
  extended: (pkg, date) => `Je toegang tot **${pkg}** is verlengd tot ${date}.`,
  reason: 'Reden',
  reviewStarted: 'Je wordt gevraagd toegang te controleren',
  reviewDue: 'Controleer vóór',
  reviewCompleted: (removed) => `Een toegangscontrole waaraan je meedeed is afgerond; ${removed} toewijzing(en) zijn verwijderd.`,
  reviewItem: (who, pkg) => `${who} — ${pkg}`,
  recommendation: 'Aanbeveling',
  dontKnow: 'Weet ik niet',
  reviewDecided: (how) => `Vastgelegd: ${how}`,
  more: 'Meer',
  guestToBeBlocked: (date) => `Je laatste toegang in deze organisatie is beëindigd. Je gastaccount wordt op ${date} geblokkeerd, tenzij je opnieuw toegang krijgt.`,
  guestToBeBlockedSponsor: (guest, date) => `${guest}, een gast die jij sponsort, heeft geen toegang meer. Het account wordt op ${date} geblokkeerd, tenzij er opnieuw toegang komt.`,
  guestBlocked: 'Je gastaccount is geblokkeerd omdat je geen toegang meer hebt.',
  guestBlockedSponsor: (guest) => `${guest}, een gast die jij sponsort, is geblokkeerd.`,
  guestDeleteOn: (date) => `Het wordt op ${date} verwijderd.`,
  guestToBeDeleted: (date) => `Je gastaccount wordt op ${date} verwijderd.`,
  guestToBeDeletedSponsor: (guest, date) => `${guest}, een gast die jij sponsort, wordt op ${date} verwijderd.`,
  guestDeletedSponsor: (guest) => `${guest}, een gast die jij sponsorde, is uit de directory verwijderd.`,
  guestKept: 'Je hebt weer toegang; je gastaccount blijft.',
  guestKeptSponsor: (guest) => `${guest}, een gast die jij sponsort, heeft weer toegang en blijft.`,
  requestAgain: 'Opnieuw toegang aanvragen',
  packagesTitle: 'Toegangspakketten die je kunt aanvragen',
  noPackages: 'Er zijn geen toegangspakketten die je kunt aanvragen.',
  search: 'Zoeken',
  searchPlaceholder: 'Naam van het pakket',
  request: 'Aanvragen',
  requestTitle: (pkg) => `${pkg} aanvragen`,
  submit: 'Aanvraag indienen',
  startDate: 'Begin',
  endDate: 'Einde',
  required: 'Dit veld is verplicht.',
  requiredInFormat: 'Dit veld is verplicht en moet de gevraagde vorm hebben.',
  inFormat: 'Dit antwoord heeft niet de gevraagde vorm.',
  statusTitle: (pkg) => `Je aanvraag voor ${pkg}`,
  myRequestsTitle: 'Je openstaande aanvragen',
  noRequests: 'Je hebt geen openstaande aanvragen.',
  cancel: 'Aanvraag annuleren',
  canceled: 'Geannuleerd.',
  myAccessTitle: 'Je toegang',
  noAccess: 'Je hebt geen toegangspakketten.',
  endsOn: (date) => `Eindigt ${date}`,
  noEnd: 'Geen einddatum',
  leave: 'Beëindigen',
  leaveRequested: (pkg) => `Je hebt gevraagd **${pkg}** te beëindigen.`,
  approvalsTitle: 'Aanvragen die op jouw besluit wachten',
  noApprovals: 'Er wacht niets op jouw besluit.',
  waitingTitle: 'Terwijl we je niet konden bereiken',
  waitingApprovals: (n) => `${n} aanvraag/aanvragen wachten op je besluit. Typ **goedkeuringen** om ze te zien.`,
  waitingRequests: (n) => `${n} van je aanvragen staan open. Typ **mijn aanvragen** om ze te volgen.`,
  state: {
    submitted: 'ingediend',
    pendingApproval: 'wacht op goedkeuring',
    delivering: 'wordt geleverd',
    delivered: 'geleverd',
    deliveryFailed: 'levering mislukt',
    denied: 'afgewezen',
    canceled: 'geannuleerd',
    scheduled: 'gepland',
    partiallyDelivered: 'gedeeltelijk geleverd',
  },
};

const byLanguage: Record<Language, Strings> = { en, nl };

export function stringsFor(locale: string | null | undefined): Strings {
  return byLanguage[languageOf(locale)];
}
