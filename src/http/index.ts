// `email-tracking-consent/http`: the Web-standard endpoints. No node:* imports here or below.
export { createHandler } from './create-handler.js'
export { HttpError, type HttpErrorCode } from './errors.js'
export type { PageTexts } from './pages/texts.js'
export type {
  Brand,
  BrandColors,
  ClickReport,
  ConsentChangeReport,
  DeviceClass,
  FetchClass,
  FormOptions,
  Handler,
  HandlerHooks,
  HandlerOptions,
  ListHygieneOpenReport,
  Locale,
  Logger,
  MachineKind,
  MachineSignature,
  OpenReport,
  PageOptions,
  RequestContext,
  TrackedOpenReport,
} from './types.js'
