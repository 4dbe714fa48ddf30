import { v5 as uuidv5, v7 as uuidv7, validate } from 'uuid';

/** Namespace for every id the engine derives (events, settlements, disputes, timeout and webhook commands). */
const NAMESPACE = '0b5d3c52-8f0e-4f4e-9a51-6a3f3f0c2d11';

/** A deterministic id: the same name always yields the same UUID, so retries and replays agree. */
export const derivedId = (name: string): string => uuidv5(name, NAMESPACE);

/** A fresh, time-ordered id for new escrows and commands. */
export const newId = (): string => uuidv7();

export const isUuid = (s: unknown): s is string => typeof s === 'string' && validate(s);
