// `npm run site -- <command>`: manage the sites one Parley backend serves. Uses DATABASE_URL like
// the server (and migrates it first), so it works on the same SQLite file or PostgreSQL database.
//
//   create --name Shop --origin https://shop.example [--origin …] [--id shop]
//   list
//   show <id>
//   origins <id> [--add https://…] [--remove https://…] [--set https://… …]
//   rotate-secret <id>
//   set <id> [--registration-open true|false] [--strangers-may-message true|false]
//            [--retention-days N|off] [--theme '{"primaryColor":"#0a7"}'] [--name "New name"]
//            [--max-file-mb N|default] [--edit-window-min N|default] [--xmpp on|off]
//            [--profile-url https://…|off]
//            [--signed-actions room:join,buddy:add|none]
//   api-keys <id> [--list] | --create <name> | --rotate <keyId> | --revoke <keyId>
//   webhooks <id> [--list] | --add <url> --events a,b [--unread-min N] | --remove <endpointId>
//            | --disable <endpointId> | --enable <endpointId>
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { themeSchema } from '../src/protocol/schemas.js';
import { loadConfig } from '../src/config.js';
import { migrate } from '../src/store/migrate.js';
import { PrismaStore } from '../src/store/prisma-store.js';
import type { SiteRecord } from '../src/store/store.js';
import { EDIT_WINDOW_MINUTES_MAX, profileUrlProblem, siteSettings } from '../src/services/site-settings.js';
import { SIGNED_ACTIONS, type SignedAction } from '../src/protocol/signed-actions.js';
import { ApiKeys } from '../src/services/host-api/api-keys.js';
import { Webhooks } from '../src/services/webhooks/webhooks.js';
import { createLogger } from '../src/logger.js';
import { ParleyError } from '../src/errors.js';
import { WEBHOOK_EVENTS, type WebhookEvent } from '../src/protocol/webhooks.js';

class UsageError extends Error {}

const USAGE = `usage: npm run site -- <command>
  create --name <name> --origin <origin> [--origin …] [--id <id>]
  list
  show <id>
  origins <id> [--add <origin>] [--remove <origin>] [--set <origin> …]
  rotate-secret <id>
  set <id> [--registration-open true|false] [--strangers-may-message true|false]
           [--retention-days <n>|off] [--theme '<json>'] [--name <name>]
           [--max-file-mb <n>|default] [--edit-window-min <n>|default] [--xmpp on|off]
           [--profile-url <https url>|off]
           [--signed-actions <action>,<action>…|none]   (${SIGNED_ACTIONS.join(', ')})
  api-keys <id> [--list] | --create <name> | --rotate <key id> | --revoke <key id>
  webhooks <id> [--list] | --add <url> --events <a,b> [--unread-min <n>] | --remove <endpoint id>
           | --disable <endpoint id> | --enable <endpoint id>
Origins look like https://shop.example or http://localhost:* (any port).`;

/** An origin pattern: scheme://host[:port|:*], nothing else. */
function checkOrigin(origin: string): string {
  const pattern = /^https?:\/\/(\[[0-9a-f:]+\]|[a-z0-9.-]+)(:(\d{1,5}|\*))?$/i;
  if (!pattern.test(origin)) throw new UsageError(`"${origin}" is not an origin like https://shop.example`);
  return origin.toLowerCase();
}

function bool(value: string | undefined, name: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (value === 'true' || value === 'false') return value === 'true';
  throw new UsageError(`--${name} takes true or false`);
}

function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

function snippet(site: SiteRecord, server: string): string {
  return `<script src="${server}/parley.js" data-site="${site.id}" async></script>`;
}

function describe(site: SiteRecord, server: string): string {
  const settings = siteSettings(site);
  return [
    `site id:   ${site.id}`,
    `name:      ${site.name}`,
    `origins:   ${site.origins.join(', ') || '(none: no browser can connect)'}`,
    `secret:    ${site.secret}   (signs host identity tokens; keep it on your server)`,
    `settings:  registration ${settings.registrationOpen ? 'open' : 'closed'}, strangers ${settings.strangersMayMessage ? 'may' : 'may not'} message, retention ${settings.retentionDays ? `${settings.retentionDays} days` : 'forever'}, files up to ${(settings.maxFileBytes / 1024 / 1024).toFixed(1)} MB, ${settings.editWindowMinutes ? `edits within ${settings.editWindowMinutes} min` : 'no edits'}, XMPP ${settings.xmpp ? 'on' : 'off'}`,
    `theme:     ${JSON.stringify(settings.theme)}`,
    `profiles:  ${settings.profileUrl ? `fetched from ${settings.profileUrl}` : 'pushed by the host only (no profile provider)'}`,
    `signed:    ${settings.signedActions.join(', ') || '(no action needs a signed token)'}`,
    `snippet:   ${snippet(site, server)}`,
  ].join('\n');
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      id: { type: 'string' },
      origin: { type: 'string', multiple: true },
      add: { type: 'string', multiple: true },
      remove: { type: 'string', multiple: true },
      set: { type: 'string', multiple: true },
      'registration-open': { type: 'string' },
      'strangers-may-message': { type: 'string' },
      'retention-days': { type: 'string' },
      'max-file-mb': { type: 'string' },
      xmpp: { type: 'string' },
      'edit-window-min': { type: 'string' },
      'profile-url': { type: 'string' },
      'signed-actions': { type: 'string' },
      theme: { type: 'string' },
      server: { type: 'string' },
      list: { type: 'boolean' },
      create: { type: 'string' },
      rotate: { type: 'string' },
      revoke: { type: 'string' },
      events: { type: 'string' },
      'unread-min': { type: 'string' },
      disable: { type: 'string' },
      enable: { type: 'string' },
    },
  });
  if (!command) throw new UsageError('no command given');
  const config = loadConfig(process.env);
  const server = values.server ?? process.env.PUBLIC_URL ?? `http://localhost:${config.port}`;
  await migrate(config.database);
  const store = await PrismaStore.open(config.database);
  try {
    const site = async () => {
      const id = positionals[0];
      if (!id) throw new UsageError(`${command} needs a site id`);
      const found = await store.getSite(id);
      if (!found) throw new UsageError(`no site "${id}" (npm run site -- list)`);
      return found;
    };
    switch (command) {
      case 'create': {
        if (!values.name) throw new UsageError('create needs --name');
        const origins = (values.origin ?? []).map(checkOrigin);
        if (origins.length === 0) throw new UsageError('create needs at least one --origin');
        const id =
          values.id ??
          `${
            values.name
              .toLowerCase()
              .replace(/[^a-z0-9]+/g, '-')
              .replace(/^-|-$/g, '')
              .slice(0, 40) || 'site'
          }-${randomBytes(3).toString('hex')}`;
        if (!/^[a-z0-9][a-z0-9-]{0,63}$/.test(id))
          throw new UsageError('--id takes lower-case letters, digits and dashes');
        if (await store.getSite(id)) throw new UsageError(`site "${id}" exists already`);
        const created: SiteRecord = { id, name: values.name, secret: newSecret(), origins, settings: {} };
        await store.createSite(created);
        console.log(`created\n${describe(created, server)}`);
        return;
      }
      case 'list': {
        const sites = await store.listSites();
        if (sites.length === 0) console.log('no sites yet: npm run site -- create --name … --origin …');
        for (const s of sites) console.log(`${s.id}\t${s.name}\t${s.origins.join(' ')}`);
        return;
      }
      case 'show':
        console.log(describe(await site(), server));
        return;
      case 'origins': {
        const current = await site();
        let origins = values.set ? values.set.map(checkOrigin) : [...current.origins];
        for (const o of (values.add ?? []).map(checkOrigin)) if (!origins.includes(o)) origins.push(o);
        const drop = new Set((values.remove ?? []).map(checkOrigin));
        origins = origins.filter((o) => !drop.has(o));
        const updated = await store.updateSite(current.id, { origins });
        console.log(`origins of ${updated.id}: ${updated.origins.join(', ') || '(none)'}`);
        return;
      }
      case 'rotate-secret': {
        const updated = await store.updateSite((await site()).id, { secret: newSecret() });
        console.log(
          `new secret for ${updated.id}: ${updated.secret}\nTokens signed with the old secret are refused from now on.`,
        );
        return;
      }
      case 'set': {
        const current = await site();
        const settings: Record<string, unknown> = { ...current.settings };
        const registration = bool(values['registration-open'], 'registration-open');
        const strangers = bool(values['strangers-may-message'], 'strangers-may-message');
        if (registration !== undefined) settings.registrationOpen = registration;
        if (strangers !== undefined) settings.strangersMayMessage = strangers;
        const days = values['retention-days'];
        if (days === 'off') delete settings.retentionDays;
        else if (days !== undefined) {
          const n = Number(days);
          if (!Number.isInteger(n) || n < 1)
            throw new UsageError('--retention-days takes a whole number of days, or off');
          settings.retentionDays = n;
        }
        if (values.xmpp !== undefined) {
          if (values.xmpp !== 'on' && values.xmpp !== 'off') throw new UsageError('--xmpp takes on or off');
          settings.xmpp = values.xmpp === 'on';
        }
        const maxMb = values['max-file-mb'];
        if (maxMb === 'default') delete settings.maxFileBytes;
        else if (maxMb !== undefined) {
          const n = Number(maxMb);
          if (!Number.isFinite(n) || n <= 0 || n > 10_240)
            throw new UsageError('--max-file-mb takes a number of megabytes up to 10240, or default');
          settings.maxFileBytes = Math.round(n * 1024 * 1024);
        }
        const editMin = values['edit-window-min'];
        if (editMin === 'default') delete settings.editWindowMinutes;
        else if (editMin !== undefined) {
          const n = Number(editMin);
          if (!Number.isInteger(n) || n < 0 || n > EDIT_WINDOW_MINUTES_MAX)
            throw new UsageError(
              `--edit-window-min takes a whole number of minutes from 0 (no edits) to ${EDIT_WINDOW_MINUTES_MAX}, or default`,
            );
          settings.editWindowMinutes = n;
        }
        const profileUrl = values['profile-url'];
        if (profileUrl === 'off') delete settings.profileUrl;
        else if (profileUrl !== undefined) {
          const problem = profileUrlProblem(profileUrl);
          if (problem) throw new UsageError(`--profile-url ${problem}; or off to remove the provider`);
          settings.profileUrl = profileUrl;
        }
        const signed = values['signed-actions'];
        if (signed === 'none') delete settings.signedActions;
        else if (signed !== undefined) {
          const actions = signed.split(',').map((a) => a.trim());
          const unknown = actions.filter((a) => !(SIGNED_ACTIONS as readonly string[]).includes(a));
          if (unknown.length > 0 || actions.length === 0) {
            throw new UsageError(
              `--signed-actions takes a comma-separated list of ${SIGNED_ACTIONS.join(', ')}, or none (not: ${unknown.join(', ')})`,
            );
          }
          settings.signedActions = SIGNED_ACTIONS.filter((a: SignedAction) => actions.includes(a));
        }
        if (values.theme !== undefined) {
          let json: unknown;
          try {
            json = JSON.parse(values.theme);
          } catch {
            throw new UsageError('--theme must be JSON, e.g. \'{"primaryColor":"#0a7"}\'');
          }
          const theme = themeSchema.safeParse(json);
          if (!theme.success) {
            throw new UsageError(
              `--theme: ${theme.error.issues.map((i) => `${i.path.join('.') || 'theme'}: ${i.message}`).join('; ')}`,
            );
          }
          settings.theme = theme.data;
        }
        const updated = await store.updateSite(current.id, { settings, ...(values.name ? { name: values.name } : {}) });
        console.log(describe(updated, server));
        return;
      }
      case 'api-keys': {
        const current = await site();
        const keys = new ApiKeys(store);
        const actions = [values.create, values.rotate, values.revoke].filter((v) => v !== undefined);
        if (actions.length > 1) throw new UsageError('api-keys takes one of --create, --rotate, --revoke');
        const shown = (key: string) =>
          `key:       ${key}\n           (shown this once: Parley keeps only its hash. Keep it on your server.)`;
        if (values.create !== undefined) {
          const name = values.create.trim();
          if (!name || name.length > 64) throw new UsageError('--create takes a name of 1 to 64 characters');
          const { key, record } = await keys.create(current.id, name);
          console.log(`created API key ${record.id} "${record.name}" for ${current.id}\n${shown(key)}`);
          return;
        }
        if (values.rotate !== undefined) {
          const made = await keys.rotate(current.id, values.rotate);
          if (!made) throw new UsageError(`site ${current.id} has no live API key "${values.rotate}"`);
          console.log(
            `API key ${values.rotate} is revoked; its replacement is ${made.record.id} "${made.record.name}"\n${shown(made.key)}`,
          );
          return;
        }
        if (values.revoke !== undefined) {
          if (!(await keys.revoke(current.id, values.revoke))) {
            throw new UsageError(`site ${current.id} has no live API key "${values.revoke}"`);
          }
          console.log(`API key ${values.revoke} is revoked: requests with it are refused from now on.`);
          return;
        }
        const list = await keys.list(current.id);
        if (list.length === 0) console.log(`no API keys yet: npm run site -- api-keys ${current.id} --create <name>`);
        for (const k of list) {
          const state = k.revokedAt ? `revoked ${k.revokedAt.toISOString()}` : 'live';
          const used = k.lastUsedAt ? `last used ${k.lastUsedAt.toISOString()}` : 'never used';
          console.log(`${k.id}\t${k.prefix}…\t${k.name}\t${state}\t${used}\tcreated ${k.createdAt.toISOString()}`);
        }
        return;
      }
      case 'webhooks':
        await webhooksCommand(store, await site(), config.webhooks.allowPrivate, values);
        return;
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } finally {
    await store.close();
  }
}

/** `webhooks <site> …`: a site's webhook endpoints (docs/webhooks.md). */
async function webhooksCommand(
  store: PrismaStore,
  current: SiteRecord,
  allowPrivate: boolean,
  values: {
    list?: boolean;
    add?: string[];
    remove?: string[];
    events?: string;
    'unread-min'?: string;
    disable?: string;
    enable?: string;
  },
): Promise<void> {
  const hooks = new Webhooks(store, { allowPrivate }, createLogger('silent'));
  const actions = [values.add, values.remove, values.disable, values.enable].filter((v) => v !== undefined);
  if (actions.length > 1) throw new UsageError('webhooks takes one of --add, --remove, --disable, --enable');
  try {
    if (values.add) {
      if (values.add.length !== 1) throw new UsageError('--add takes one URL');
      const events = (values.events ?? '')
        .split(',')
        .map((e) => e.trim())
        .filter((e) => e !== '');
      const unknown = events.filter((e) => !(WEBHOOK_EVENTS as readonly string[]).includes(e));
      if (events.length === 0 || unknown.length > 0) {
        throw new UsageError(`--events takes a comma-separated list of: ${WEBHOOK_EVENTS.join(', ')}`);
      }
      const minutes = values['unread-min'] === undefined ? undefined : Number(values['unread-min']);
      const { endpoint, secret } = await hooks.create(current.id, {
        url: values.add[0]!,
        events: events as WebhookEvent[],
        ...(minutes === undefined ? {} : { unreadMinutes: minutes }),
      });
      console.log(
        `added webhook endpoint ${endpoint.id} for ${current.id}: ${endpoint.url}\n` +
          `events:    ${endpoint.events.join(', ')}${endpoint.events.includes('message.unread') ? ` (unread after ${endpoint.unreadMinutes} min)` : ''}\n` +
          `secret:    ${secret}\n` +
          `           (shown this once: verify the Parley-Signature header of each delivery with it)`,
      );
      return;
    }
    if (values.remove) {
      for (const id of values.remove) await hooks.remove(current.id, id);
      console.log(`removed webhook endpoint ${values.remove.join(', ')} and its deliveries`);
      return;
    }
    if (values.disable !== undefined || values.enable !== undefined) {
      const id = (values.disable ?? values.enable)!;
      const view = await hooks.setEnabled(current.id, id, values.enable !== undefined);
      console.log(`webhook endpoint ${view.id} is ${view.enabled ? 'enabled' : 'disabled'}`);
      return;
    }
  } catch (err) {
    if (err instanceof ParleyError) throw new UsageError(err.message);
    throw err;
  }
  const list = await hooks.list(current.id);
  if (list.length === 0)
    console.log(`no webhook endpoints yet: npm run site -- webhooks ${current.id} --add <url> --events …`);
  for (const e of list) {
    const last = e.lastAttemptAt
      ? `last ${e.lastStatus ?? 'no answer'} at ${e.lastAttemptAt}${e.lastError ? ` (${e.lastError})` : ''}`
      : 'no attempt yet';
    console.log(
      [
        e.id,
        e.enabled ? 'enabled' : 'disabled',
        e.url,
        e.events.join(','),
        last,
        `failures ${e.failures}`,
        `last success ${e.lastSuccessAt ?? 'never'}`,
        `pending ${e.pending}`,
      ].join('\t'),
    );
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    console.error(`${(err as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  console.error(err);
  process.exit(1);
});
