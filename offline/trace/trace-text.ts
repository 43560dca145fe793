import type { Prng } from './prng.js';
import type { TraceTask } from './schema.js';

/**
 * Short, realistic prompt texts for the synthetic trace generator, templated from small word
 * lists. Each task carries the cues a rules classifier looks for (code fences for code,
 * "prove"/"solve" for math, "summarize", "extract", "context … question", "translate").
 */

const W = {
  lang: ['python', 'typescript', 'go', 'rust', 'java', 'sql'],
  codeGoal: ['parses a CSV line into fields', 'debounces a callback', 'merges two sorted lists', 'retries an HTTP call with backoff', 'validates an email address', 'groups orders by customer'],
  errorName: ['a TypeError', 'an IndexError', 'a null pointer exception', 'a deadlock', 'an off-by-one error'],
  mathClaim: ['the square root of 2 is irrational', 'there are infinitely many primes', 'the sum of the first n odd numbers is n^2', 'every tree with n nodes has n-1 edges', 'n^3 - n is divisible by 6'],
  fn: ['x^3 sin(x)', 'e^(2x) / x', 'ln(x^2 + 1)', 'sqrt(1 + x^2)'],
  probEvent: ['rolling two sixes with two dice', 'drawing two aces from a deck', 'at least one head in four coin flips'],
  suggestion: ['a gift idea', 'a weekend plan', 'a book', 'a quick dinner recipe', 'a playlist'],
  occasion: ['my sister\'s birthday', 'a rainy Sunday', 'a team offsite', 'a long flight', 'a first date'],
  lifeGoal: ['sleep better', 'learn Spanish faster', 'stay focused at work', 'start running', 'save money each month'],
  topic: ['octopuses', 'the moon', 'coffee', 'volcanoes', 'old maps', 'honeybees'],
  mood: ['tired', 'stressed', 'excited', 'a bit bored'],
  docType: ['meeting transcript', 'support ticket thread', 'quarterly report', 'research abstract', 'incident postmortem', 'news article'],
  company: ['Northwind', 'Contoso', 'Globex', 'Initech', 'Umbrella Labs'],
  metric: ['revenue', 'active users', 'churn', 'gross margin', 'ticket volume'],
  driver: ['a new pricing tier', 'the mobile launch', 'seasonal demand', 'a supply delay', 'the EU expansion'],
  action: ['the team agreed to', 'the customer asked us to', 'engineering will', 'finance proposed to'],
  followUp: ['ship the fix by Friday', 'revisit the budget next quarter', 'add monitoring to the queue', 'hire two more engineers'],
  fields: ['invoice number, date and total', 'name, email and phone number', 'product, quantity and unit price', 'sender, recipient and due date'],
  sourceDoc: ['invoice', 'email', 'purchase order', 'shipping notice', 'resume'],
  entity: ['person', 'organisation', 'date', 'amount of money', 'location'],
  person: ['Maria Lopez', 'Ken Adams', 'Priya Natarajan', 'Jonas Berg', 'Aiko Tanaka'],
  city: ['Lisbon', 'Denver', 'Osaka', 'Nairobi', 'Toronto'],
  kbDoc: ['employee handbook', 'API reference', 'refund policy', 'onboarding guide', 'security FAQ'],
  question: ['how many vacation days do new hires get?', 'what is the rate limit for the search endpoint?', 'can I get a refund after 30 days?', 'who approves travel expenses?', 'how do I rotate an API key?'],
  phrase: ['Where is the train station?', 'Thank you for your patience.', 'The meeting is moved to Tuesday.', 'Please keep the receipt.'],
  language: ['French', 'German', 'Japanese', 'Portuguese', 'Korean'],
  review: ['Arrived late but works great.', 'Terrible battery life.', 'Exactly as described, would buy again.', 'The app keeps crashing.'],
  product: ['coffee subscription', 'budgeting app', 'bike repair shop', 'podcast about history'],
} as const;

const SNIPPETS: Record<string, string> = {
  python: 'def mean(xs):\n    return sum(xs) / len(xs) - 1',
  typescript: 'function last<T>(xs: T[]): T {\n  return xs[xs.length];\n}',
  go: 'for i := 0; i <= len(xs); i++ {\n  total += xs[i]\n}',
  rust: 'fn first(v: &Vec<i32>) -> i32 {\n    v[1]\n}',
  java: 'if (name == "admin") {\n  grant(user);\n}',
  sql: 'SELECT customer, SUM(total) FROM orders WHERE status = shipped;',
};

type Fill = (rng: Prng) => string;
const w = (rng: Prng, key: keyof typeof W): string => rng.pick(W[key]);

function passage(rng: Prng): string {
  return `${w(rng, 'company')} reported ${w(rng, 'metric')} up ${5 + rng.int(40)}% in Q${1 + rng.int(4)}, driven by ${w(rng, 'driver')}; ${w(rng, 'action')} ${w(rng, 'followUp')}.`;
}

function snippet(lang: string): string {
  return `\`\`\`${lang}\n${SNIPPETS[lang] ?? ''}\n\`\`\``;
}

const TEMPLATES: Record<TraceTask, Fill[]> = {
  code: [
    (r) => { const l = w(r, 'lang'); return `Fix the bug in this ${l} code:\n${snippet(l)}`; },
    (r) => `Write a ${w(r, 'lang')} function that ${w(r, 'codeGoal')}, with unit tests.`,
    (r) => { const l = w(r, 'lang'); return `Why does this ${l} code throw ${w(r, 'errorName')}?\n${snippet(l)}`; },
    (r) => { const l = w(r, 'lang'); return `Refactor this ${l} snippet for readability:\n${snippet(l)}`; },
  ],
  math: [
    (r) => `Prove that ${w(r, 'mathClaim')}.`,
    (r) => `Solve for x: ${2 + r.int(9)}x + ${r.int(50)} = ${50 + r.int(100)}. Show each step.`,
    (r) => `Compute the derivative of ${w(r, 'fn')} with respect to x.`,
    (r) => `What is the probability of ${w(r, 'probEvent')}? Explain the calculation.`,
  ],
  chat: [
    (r) => `Hi! Can you suggest ${w(r, 'suggestion')} for ${w(r, 'occasion')}?`,
    (r) => `What's a good way to ${w(r, 'lifeGoal')}?`,
    (r) => `Tell me a fun fact about ${w(r, 'topic')}.`,
    (r) => `I'm feeling ${w(r, 'mood')} today. Any tips to ${w(r, 'lifeGoal')}?`,
  ],
  summarization: [
    (r) => `Summarize the following ${w(r, 'docType')} in ${2 + r.int(4)} bullet points:\n${passage(r)}`,
    (r) => `Please summarize this ${w(r, 'docType')} for an executive audience: ${passage(r)}`,
    (r) => `Give me a short summary (TL;DR) of this ${w(r, 'docType')}: ${passage(r)}`,
  ],
  extraction: [
    (r) => `Extract the ${w(r, 'fields')} from this ${w(r, 'sourceDoc')} and return JSON:\nFrom ${w(r, 'person')}, ${w(r, 'city')}, ref #${1000 + r.int(9000)}, total $${10 + r.int(990)}.00, due ${1 + r.int(28)} March.`,
    (r) => `Extract every ${w(r, 'entity')} mentioned in the text below as a JSON list.\n${w(r, 'person')} met ${w(r, 'company')} in ${w(r, 'city')} on ${1 + r.int(28)} May to sign a $${1 + r.int(90)}k deal.`,
  ],
  'retrieval-qa': [
    (r) => `Answer the question using only the context below.\nContext: ${passage(r)}\nQuestion: ${w(r, 'question')}`,
    (r) => `Based on the attached ${w(r, 'kbDoc')}, ${w(r, 'question')} Cite the section you used.`,
  ],
  other: [
    (r) => `Translate "${w(r, 'phrase')}" into ${w(r, 'language')}.`,
    (r) => `Write a haiku about ${w(r, 'topic')}.`,
    (r) => `Classify the sentiment of this review as positive or negative: "${w(r, 'review')}"`,
    (r) => `Brainstorm ${3 + r.int(8)} names for a ${w(r, 'product')}.`,
  ],
};

/** A short user prompt for `task`, drawn from the templates with `rng`. */
export function promptText(task: TraceTask, rng: Prng): string {
  return rng.pick(TEMPLATES[task])(rng);
}
