import type { CommandType, EscrowCommand } from '../commands.js';

/** The command of one type, as its handler receives it. */
export type CommandOf<T extends CommandType> = Extract<EscrowCommand, { type: T }>;
