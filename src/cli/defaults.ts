/** The default store: an SQLite file in the working directory. */
export const DEFAULT_STORE_URL = 'sqlite:./consent.db'
