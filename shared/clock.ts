/** Time is an argument: the domain never reads the wall clock itself. */
export type Clock = () => Date;
export const systemClock: Clock = () => new Date();
