/** The topic layout is part of the contract (gateway/contract/topics.ts); re-exported for the MQTT sink's neighbours. */
export * from '../../contract/topics.js';
