/** Built-in documents `main.ts` ingests at start, so `/query` works right away. */
export const BUILT_IN_DOCUMENTS = [
  {
    filename: 'returns-policy.md',
    content: `# Returns

You can return any unopened item within 30 days of delivery for a full refund.
Opened coffee beans cannot be returned, but grinders and mugs can be returned within 14 days if they are faulty.

Refunds are paid to the original payment method within 5 business days after we receive the item.`,
  },
  {
    filename: 'shipping.md',
    content: `# Shipping

Orders placed before 2pm ship the same day from our Berlin warehouse.
Standard shipping inside the EU takes 2 to 4 business days and is free above 40 euros.

Express shipping delivers the next business day for 9 euros.`,
  },
]
