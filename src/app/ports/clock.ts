/** The time source: commands carry `now`, workers and tests move it. */
export interface Clock {
  now(): Date;
}
