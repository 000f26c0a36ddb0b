// `window.Parley` and `window.ParleySettings`, as the widget's loader declares them, for the
// callbacks the tests run in the page.
import type {} from '../widget/src/loader.ts';
