import type { TokenPurpose } from '../../tokens/types.js'
import type { HandlerEnv, Visit } from '../lib/env.js'
import type { FormAlert } from '../pages/render.js'
import type { PlainResponse } from '../lib/responses.js'

/** One route under the base path: `/<segment>/:token`. */
export interface Route {
  purpose: TokenPurpose
  /** Allowed methods, as answered in `Allow`. */
  methods: readonly string[]
  /** The response, without a promise when the route could answer at once (a pixel hit on a store that reads synchronously). */
  handle(env: HandlerEnv, visit: Visit): PlainResponse | Promise<PlainResponse>
  /**
   * The route's page with its form again and an alert, when a submit was
   * refused by the anti-scanner gate (too fast, stale nonce). Needs verified claims.
   */
  formAgain?(env: HandlerEnv, visit: Visit, alert: FormAlert): Promise<string>
}
