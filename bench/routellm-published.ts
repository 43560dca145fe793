/**
 * RouteLLM's published MMLU figures (GPT-4-1106-preview strong, Mixtral-8x7B weak), for the comparison
 * table of docs/learned-routing.md. Only what RouteLLM states in text is here: the paper's MMLU table
 * (APGR, CPT(80%) per router) could not be retrieved on this offline machine, so those fields are null
 * rather than guessed. Fractions are shares of calls sent to GPT-4.
 */
export const ROUTELLM_MMLU = {
  sources: [
    'LMSYS blog "RouteLLM" (2024-07-01), https://lmsys.org/blog/2024-07-01-routellm/, as stored in lm-sys/lm-sys.github.io blog/2024-07-01-routellm.md',
    'RouteLLM announcement (blog and README, July 2024), quoted e.g. by AINews 2024-07-02: "cost reductions of over 85% on MT Bench, 45% on MMLU, and 35% on GSM8K as compared to using only GPT-4, while still achieving 95% of GPT-4\'s performance"',
  ],
  setup: 'routers trained on Chatbot Arena preference data augmented with ~1,500 golden-label MMLU validation prompts; evaluated on MMLU; cost counted as the share of GPT-4 calls',
  routers: [
    {
      router: 'best RouteLLM router (Arena + MMLU golden labels)',
      /** "about 45% cost reduction against GPT-4 alone at 95% of its performance" → about 55% of calls to GPT-4. */
      strongShareAt95: 0.55,
      strongShareAt95Approx: true,
      apgr: null,
      cpt80: null,
    },
    {
      router: 'causal LLM (Arena + MMLU golden labels)',
      /** "requiring about 30% less cost as compared to the [random] baseline to achieve 50% of the performance gap" → ≈ 0.7 × 50%. */
      cpt50: 0.35,
      cpt50Approx: true,
      apgr: null,
      cpt80: null,
    },
    {
      router: 'all four routers, Arena data only',
      note: '"all routers perform poorly at a near-random level when trained only on Arena dataset" (APGR ≈ 0.5)',
      apgr: null,
    },
  ],
} as const;
