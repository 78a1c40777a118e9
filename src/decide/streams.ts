/**
 * First keys of the Decider's internal draws. Reply keys start with a question index (small), so
 * internal draws start with a tag no dataset reaches: they can never reuse a draw that
 * respond/wrong.ts makes from a reply's keys.
 */
export const FIXED_RANK_STREAM = 0xf1ced001;
export const EXACT_STREAM = 0xe8ac7001;
export const DIFFICULTY_STREAM = 0xd1ff0001;

/** Second key of a reply keyed by the request's own seed: [question, SEED_KEY, requestSeed]. */
export const SEED_KEY = 0x5eed;
