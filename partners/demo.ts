import { skyAir } from './airline/schema';
import { nordicHotels } from './hotel/schema';
import { freshMart } from './retail/schema';
import type { PartnerDefinition } from './shared/definition';

/** The demo coalition's partner services: an airline, a hotel chain and a grocer. */
export const demoPartnerServices: readonly PartnerDefinition[] = [skyAir, nordicHotels, freshMart];
