/**
 * A realistic agent request for the gateway bench (#15): 20 tool definitions, a 30-turn history (the user's
 * task, then 14 rounds of an assistant tool call and its tool result, then the last result), about 30 KB
 * of JSON. The last message is a tool result, so the model answers with text.
 */

const words = 'invoice customer region shipment delay refund policy warehouse order status priority ticket escalation'.split(' ');
const texts = new Map<string, string>();
/** `n` of the words from `seed` on (remembered: the bench builds this body twice per round). */
const text = (n: number, seed: number): string => {
  const key = `${n}:${seed % words.length}`;
  let t = texts.get(key);
  if (t === undefined) texts.set(key, (t = Array.from({ length: n }, (_, i) => words[(i * 7 + seed) % words.length]).join(' ')));
  return t;
};

export function agentTools(): object[] {
  return Array.from({ length: 20 }, (_, i) => ({
    type: 'function',
    function: {
      name: `tool_${i}_${words[i % words.length]}`,
      description: `Looks up ${text(12, i)}.`,
      parameters: {
        type: 'object',
        properties: {
          id: { type: 'string', description: `The ${words[(i + 1) % words.length]} id` },
          limit: { type: 'integer', description: 'How many rows to return' },
          mode: { type: 'string', enum: ['fast', 'full', 'audit'] },
        },
        required: ['id'],
      },
    },
  }));
}

export function agentMessages(i: number): object[] {
  const messages: object[] = [
    { role: 'system', content: 'You are a support agent. Use the tools to investigate, then answer the customer.' },
    { role: 'user', content: `Ticket ${i}: customer reports that order ${1000 + i} is late and the refund was not applied. ${text(40, i)}` },
  ];
  for (let round = 0; round < 15; round++) {
    const id = `call_${i}_${round}`;
    messages.push({ role: 'assistant', content: null, tool_calls: [{ id, type: 'function', function: { name: `tool_${round % 20}_${words[round % words.length]}`, arguments: JSON.stringify({ id: `${1000 + i}`, limit: 20, mode: 'full' }) } }] });
    messages.push({ role: 'tool', tool_call_id: id, content: JSON.stringify({ rows: Array.from({ length: 12 }, (_, r) => ({ row: r, note: text(10, round + r) })) }) });
  }
  return messages;
}

/** The agent request body for Chat Completions (`model` as given). */
export function agentBody(model: string, i: number): string {
  return JSON.stringify({ model, messages: agentMessages(i), tools: agentTools(), max_tokens: 64 });
}
