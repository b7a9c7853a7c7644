/**
 * The Reading lives in the contract module (gateway/contract/reading.ts); this re-export keeps the
 * many `../reading.js` imports working.
 */
export {
  CAL_STATUSES,
  QUALITIES,
  UNTAGGED,
  newReading,
  type CalStatus,
  type CalTag,
  type ChannelIdentity,
  type Quality,
  type Reading,
  type ReadingBatch,
  type ReadingValue,
  type UntaggedCal,
  type UntaggedReading,
} from './contract/reading.js';
