const stopWords = new Set([
  'a',
  'an',
  'and',
  'the',
  'of',
  'in',
  'into',
  'on',
  'to',
  'for',
  'with',
  'from',
  'at',
  'by',
  'as',
  'please',
  'me',
  'my',
  'our',
  'it',
  'its',
  'this',
  'that',
  'these',
  'those',
  'then',
  'there',
  'some',
  'all',
  'any',
  'is',
  'are',
  'be',
  'can',
  'you',
  'i',
  'we',
  'us',
  'also',
  'under',
  'inside',
]);

/** Placeholders that stand for the variable parts of a goal text. */
export const signaturePlaceholders = {
  url: '<url>',
  quoted: '<str>',
  path: '<path>',
  number: '<num>',
} as const;

const urlPattern = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'`<>]+/g;
const quotedPattern = /"[^"]*"|'[^'\s][^']*'|`[^`]*`/g;
const pathPattern =
  /(?:^|\s)(?:~|\.{1,2})?(?:\/[^\s/]+)+\/?|(?:^|\s)[\w.-]+(?:\/[\w.-]+)+\/?|(?:^|\s)[\w-]+\.[a-z][a-z0-9]{0,4}\b/g;
const numberPattern = /\b\d+(?:[.,]\d+)*\b/g;

/** A crude stem: folds British -ise/-yse spellings and common suffixes so near-identical goals match. */
function stem(word: string): string {
  let stemmed = word.replace(/ys(e|ed|es|ing|is)$/, 'yz$1').replace(/is(e|ed|es|ing)$/, 'iz$1');
  for (const suffix of ['ing', 'ed', 'es', 's']) {
    if (stemmed.length > suffix.length + 3 && stemmed.endsWith(suffix)) {
      stemmed = stemmed.slice(0, -suffix.length);
      break;
    }
  }
  return stemmed.replace(/e$/, '');
}

/**
 * A normalized key for a goal text, so that similar goals share learning state and reusable plans:
 * lowercase; URLs, quoted strings, paths and numbers become placeholders; stop words go; words are
 * stemmed; the remaining tokens form a sorted set. "Analyse ./src and write a report" and "write a
 * report and analyze lib/core" give the same signature.
 */
export function goalSignature(text: string): string {
  const normalized = text
    .toLowerCase()
    .replace(urlPattern, ` ${signaturePlaceholders.url} `)
    .replace(quotedPattern, ` ${signaturePlaceholders.quoted} `)
    .replace(pathPattern, ` ${signaturePlaceholders.path} `)
    .replace(numberPattern, ` ${signaturePlaceholders.number} `);
  const tokens = new Set<string>();
  for (const raw of normalized.split(/[^a-z0-9<>_-]+/)) {
    const token = raw.replace(/^[-_]+|[-_]+$/g, '');
    if (token.length === 0 || stopWords.has(token)) continue;
    tokens.add(token.startsWith('<') ? token : stem(token));
  }
  return [...tokens].sort().join(' ');
}
