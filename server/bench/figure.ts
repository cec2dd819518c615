/** One line of `npm run bench` output. */
export type Figure = { name: string; value: number; unit: string; goal: string };
