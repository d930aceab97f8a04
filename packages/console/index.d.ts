/** Absolute path of the built single-page app (index.html and hashed assets). */
export declare const consoleRoot: string
/** Whether the console has been built (`pnpm build`); a source checkout may not have it yet. */
export declare function consoleBuilt(): boolean
