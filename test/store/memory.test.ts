import { describe, expect, test } from 'vitest'
import { createMemoryStore } from '../../src/store/index.js'
import { memoryStoreProbe, runStoreConformance } from '../../src/store/testing.js'

describe('memory store conformance', () => {
  runStoreConformance({ test, expect, createStore: () => createMemoryStore(), probe: memoryStoreProbe })
})
