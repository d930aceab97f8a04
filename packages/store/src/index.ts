export type * from './types.js'
export { createStore, resolveDatabaseUrl } from './store.js'
export { storeExporter } from './exporter.js'
export type { StoreExporter, StoreExporterOptions } from './exporter.js'
export { StoreQueryError } from './errors.js'
export { parseDuration, parseTime } from './time.js'
export { csvCell } from './format.js'
export { buildTrace } from './trace.js'
export {
  FACET_FIELDS,
  FILTER_NAMES,
  FILTERS,
  GROUP_BY_FIELDS,
  LEVEL_NAMES,
  OPTION_TYPES,
  filterByName,
} from './vocabulary.js'
export type { FilterDefinition, FilterName, FilterType } from './vocabulary.js'
