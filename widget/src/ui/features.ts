import type { UiFeature } from './slots.js';
import { typingUi } from './TypingIndicator.js';

/** The UI halves of the features, in the order their parts appear in a slot. */
export const uiFeatures: UiFeature[] = [typingUi];
