// xmpp.js ships no TypeScript types. What Parley uses of @xmpp/component (the gateway) and of
// @xmpp/client (the tests' XMPP user), declared once here.
declare module '@xmpp/xml' {
  export class Element {
    name: string;
    attrs: Record<string, string | undefined>;
    children: (Element | string)[];
    is(name: string, xmlns?: string): boolean;
    getChild(name: string, xmlns?: string): Element | undefined;
    getChildren(name: string, xmlns?: string): Element[];
    getChildElements(): Element[];
    getChildText(name: string, xmlns?: string): string | null;
    getText(): string;
    append(...children: (Element | string)[]): Element;
    toString(): string;
  }
  export type Child = Element | string | null | undefined | false;
  export function xml(name: string, attrs?: Record<string, string | undefined> | null, ...children: Child[]): Element;
}

declare module '@xmpp/component' {
  import type { Element, Child } from '@xmpp/xml';
  import type { EventEmitter } from 'node:events';
  export { Element };
  export function xml(name: string, attrs?: Record<string, string | undefined> | null, ...children: Child[]): Element;
  export interface IqContext {
    stanza: Element;
    element: Element;
  }
  export interface Component extends EventEmitter {
    status: string;
    options: { service: string; domain: string };
    start(): Promise<void>;
    stop(): Promise<void>;
    connect(service: string): Promise<void>;
    open(options: { domain: string }): Promise<void>;
    disconnect(timeout?: number): Promise<void>;
    send(element: Element): Promise<void>;
    reconnect: { stop(): void; delay: number };
    iqCaller: { request(iq: Element, timeout?: number): Promise<Element> };
    iqCallee: {
      get(
        ns: string,
        name: string,
        handler: (ctx: IqContext) => Element | true | Promise<Element | true> | undefined,
      ): void;
      set(
        ns: string,
        name: string,
        handler: (ctx: IqContext) => Element | true | Promise<Element | true> | undefined,
      ): void;
    };
  }
  export function component(options: { service: string; domain: string; password: string }): Component;
}

declare module '@xmpp/client' {
  import type { Element, Child } from '@xmpp/xml';
  import type { EventEmitter } from 'node:events';
  export { Element };
  export function xml(name: string, attrs?: Record<string, string | undefined> | null, ...children: Child[]): Element;
  export interface Client extends EventEmitter {
    jid: { toString(): string } | null;
    status: string;
    start(): Promise<unknown>;
    stop(): Promise<void>;
    send(element: Element): Promise<void>;
    reconnect: { stop(): void; delay: number };
    iqCaller: { request(iq: Element, timeout?: number): Promise<Element> };
  }
  export function client(options: {
    service: string;
    domain: string;
    username?: string;
    password?: string;
    resource?: string;
  }): Client;
}
