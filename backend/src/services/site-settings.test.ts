import { describe, expect, it } from 'vitest';
import { profileUrlProblem, siteSettings } from './site-settings.js';

const site = (settings: Record<string, unknown>) => ({ id: 's', name: 's', secret: 'x', origins: [], settings });

describe('profileUrl', () => {
  it('takes https anywhere and http only on this machine', () => {
    expect(profileUrlProblem('https://shop.example/parley/profiles')).toBeNull();
    expect(profileUrlProblem('https://shop.example:8443/p?site=1')).toBeNull();
    expect(profileUrlProblem('http://localhost:4000/profiles')).toBeNull();
    expect(profileUrlProblem('http://127.0.0.1:4000/profiles')).toBeNull();
    expect(profileUrlProblem('http://[::1]:4000/profiles')).toBeNull();
    expect(profileUrlProblem('http://shop.example/profiles')).toMatch(/https/);
    expect(profileUrlProblem('http://localhost.evil.example/')).toMatch(/https/);
    expect(profileUrlProblem('ftp://shop.example/')).toMatch(/https/);
    expect(profileUrlProblem('https://user:pw@shop.example/')).toMatch(/password/);
    expect(profileUrlProblem('https://shop.example/#x')).toMatch(/fragment/);
    expect(profileUrlProblem('shop.example/profiles')).toMatch(/not a URL/);
    expect(profileUrlProblem(`https://shop.example/${'a'.repeat(2048)}`)).toMatch(/longer/);
  });

  it('is null unless set and valid (a hand-edited bad one means no provider)', () => {
    expect(siteSettings(site({})).profileUrl).toBeNull();
    expect(siteSettings(site({ profileUrl: 'https://shop.example/p' })).profileUrl).toBe('https://shop.example/p');
    expect(siteSettings(site({ profileUrl: 'http://shop.example/p' })).profileUrl).toBeNull();
    expect(siteSettings(site({ profileUrl: 42 })).profileUrl).toBeNull();
  });
});
