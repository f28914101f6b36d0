import { describe, expect, it } from 'vitest';
import { scrubSecrets } from './scrub-secrets.ts';

describe('scrubSecrets', () => {
  it.each([
    ['use key sk-proj-abcdefghijklmnopqrstuv to call it', 'use key [REDACTED] to call it'],
    ['token ghp_abcdefghijklmnopqrstuvwxyz0123456789 here', 'token [REDACTED] here'],
    ['aws AKIAABCDEFGHIJKLMNOP ok', 'aws [REDACTED] ok'],
    ['Authorization: Bearer abcdefghijklmnopqrstuvwxyz', 'Authorization: Bearer [REDACTED]'],
    ['api_key=hunter2secret&x=1', 'api_key=[REDACTED]&x=1'],
    ['connect postgres://app:s3cretpass@db:5432/x', 'connect postgres://app:[REDACTED]@db:5432/x'],
    ['jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NSJ9.abcdefghijklmnop end', 'jwt [REDACTED] end'],
  ])('removes %s', (input, expected) => {
    expect(scrubSecrets(input)).toBe(expected);
  });

  it('keeps ordinary text, including words like token and password used in prose', () => {
    const text = 'summarize the password policy document and count tokens per line';
    expect(scrubSecrets(text)).toBe(text);
  });

  it('removes a private key block whole', () => {
    const text = 'key:\n-----BEGIN RSA PRIVATE KEY-----\nMIIabc\n-----END RSA PRIVATE KEY-----\ndone';
    expect(scrubSecrets(text)).toBe('key:\n[REDACTED]\ndone');
  });
});
