import { describe, expect, it } from 'vitest';
import { bareOf, localJid, parseLocalJid } from './addresses.js';

describe('XMPP addresses', () => {
  it('names a Parley user by username and site in the local part, and reads it back', () => {
    const jid = localJid('parley.example', { username: 'bob', siteId: 'shop' });
    expect(jid).toBe('bob%shop@parley.example');
    expect(parseLocalJid('parley.example', `${jid}/resource`)).toEqual({ username: 'bob', siteId: 'shop' });
    expect(parseLocalJid('parley.example', 'Bob.Smith%Shop-2@Parley.Example')).toEqual({
      username: 'bob.smith',
      siteId: 'shop-2',
    });
  });

  it('names nobody for the component itself, other domains, or parts Parley never makes', () => {
    for (const jid of [
      'parley.example',
      'bob@parley.example', // no site
      'bob%shop@other.example',
      '%shop@parley.example',
      'bob%@parley.example',
      'bob%sh op@parley.example',
      'xena@localhost%shop@parley.example',
      undefined,
    ])
      expect(parseLocalJid('parley.example', jid)).toBeNull();
  });

  it('takes the bare JID of a sender, lower-cased, and refuses what is not one', () => {
    expect(bareOf('Xena@LocalHost/Gajim.X1')).toBe('xena@localhost');
    expect(bareOf('localhost')).toBeNull(); // a server, not a user
    expect(bareOf('@localhost')).toBeNull();
    expect(bareOf('a@b@c')).toBeNull();
    expect(bareOf(`${'x'.repeat(300)}@localhost`)).toBeNull();
    expect(bareOf(undefined)).toBeNull();
  });
});
