import { describe, expect, it } from 'vitest';
import { originAllowed } from './site-origins.js';

describe('originAllowed', () => {
  const patterns = ['https://shop.example', 'http://localhost:*'];
  it.each([
    ['https://shop.example', true],
    ['http://localhost:3000', true],
    ['http://localhost:5173', true],
    ['https://shop.example:8443', false],
    ['http://shop.example', false],
    ['https://evil.example', false],
    ['https://shop.example.evil.example', false],
    ['http://localhost.evil.example:3000', false],
    ['null', false],
    ['https://shop.example/path', false],
    ['', false],
  ])('%s → %s', (origin, expected) => {
    expect(originAllowed(origin, patterns)).toBe(expected);
  });
});
