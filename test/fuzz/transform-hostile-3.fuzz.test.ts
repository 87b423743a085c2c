import { hostilePart } from './hostile-part.js'

hostilePart(3)
