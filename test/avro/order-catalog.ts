/**
 * The bundled catalog's `order.created` shape (catalog/shop.asyncapi.yaml, OrderCreatedPayload) written as an Avro
 * record, in a one-topic AsyncAPI 3 catalog with a producer and a consumer group; for the registry round trip and the
 * Avro bench. `extra` adds fields that exercise the codec's conversions (bytes, fixed, a nullable bytes union).
 */
export function avroOrderCatalog(options: { topic: string; groupId: string; extra?: boolean }): string {
  const extra = options.extra
    ? `
              - { name: signature, type: bytes, default: "" }
              - { name: checksum, type: { type: fixed, name: Md5, size: 4 }, default: "\\u0000\\u0000\\u0000\\u0000" }
              - { name: attachment, type: ["null", bytes], default: null }`
    : '';
  return `asyncapi: 3.0.0
info: { title: Avro Shop, version: 1.0.0 }
channels:
  orders:
    address: ${options.topic}
    messages:
      orderCreated:
        name: order.created
        x-partition-key: { field: orderId }
        payload:
          schemaFormat: application/vnd.apache.avro+json;version=1.9.0
          schema:
            type: record
            name: OrderCreated
            namespace: com.shop.orders
            fields:
              - { name: orderId, type: { type: string, logicalType: uuid } }
              - { name: orderNumber, type: string }
              - name: customer
                type: { type: record, name: CustomerRef, fields: [{ name: id, type: string }, { name: email, type: string }] }
              - name: channel
                type: { type: enum, name: Channel, symbols: [web, mobile, pos], default: web }
                default: web
              - name: items
                type:
                  type: array
                  items:
                    type: record
                    name: LineItem
                    fields:
                      - { name: sku, type: string }
                      - { name: productId, type: string }
                      - { name: name, type: string }
                      - { name: quantity, type: int }
                      - name: unitPrice
                        type: { type: record, name: Money, fields: [{ name: amount, type: long }, { name: currency, type: string }] }
                      - { name: total, type: Money }
              - { name: subtotal, type: Money }
              - { name: shippingCost, type: Money }
              - { name: total, type: Money }
              - { name: couponCode, type: ["null", string], default: null }
              - name: shippingAddress
                type:
                  type: record
                  name: Address
                  fields:
                    - { name: line1, type: string }
                    - { name: line2, type: ["null", string], default: null }
                    - { name: city, type: string }
                    - { name: postalCode, type: string }
                    - { name: region, type: ["null", string], default: null }
                    - { name: country, type: string }
              - { name: placedAt, type: string }${extra}
operations:
  publishOrder:
    action: send
    channel: { $ref: '#/channels/orders' }
  handleOrder:
    action: receive
    channel: { $ref: '#/channels/orders' }
    bindings: { kafka: { groupId: ${options.groupId} } }
`;
}

/** The example order of the bundled catalog (two items, shipped to Lyon). */
export function sampleOrder(n = 0): Record<string, unknown> {
  const money = (amount: number) => ({ amount, currency: 'EUR' });
  return {
    orderId: `5f0c3a52-6d0e-4e55-9a43-${(0x0f5e1f2b7c11 + n).toString(16).padStart(12, '0')}`,
    orderNumber: `SO-2024-${String(187 + n).padStart(6, '0')}`,
    customer: { id: '9b2d7c1e-3f4a-4b8e-9c0d-1e2f3a4b5c6d', email: 'camille.martin@example.com' },
    channel: 'web',
    items: [
      { sku: 'MUG-CER-350-BLU', productId: '0d7a8c5e-2b1f-4c3d-8e9f-a0b1c2d3e4f5', name: 'Ceramic mug 350 ml, blue', quantity: 2, unitPrice: money(1290), total: money(2580) },
      { sku: 'TEA-EARL-100', productId: '7e6d5c4b-3a29-4817-b6a5-948372615041', name: 'Earl Grey loose tea 100 g', quantity: 1, unitPrice: money(850), total: money(850) },
    ],
    subtotal: money(3430),
    shippingCost: money(490),
    total: money(3920),
    couponCode: null,
    shippingAddress: { line1: '12 rue de la République', line2: null, city: 'Lyon', postalCode: '69002', region: null, country: 'FR' },
    placedAt: '2024-05-14T09:31:02.118Z',
  };
}

/**
 * The same `order.created` shape as JSON Schema (Money and Address shared components), with `x-codec: json-schema`:
 * Confluent wire-format JSON when a `JsonSchemaCodec` is configured. `x-codec` can be left out (`codec: false`).
 */
export function jsonOrderCatalog(options: { topic: string; groupId: string; codec?: boolean }): string {
  return `asyncapi: 3.0.0
info: { title: Json Wire Shop, version: 1.0.0 }
channels:
  orders:
    address: ${options.topic}
    messages:
      orderCreated:
        name: order.created
        x-partition-key: { field: orderId }${options.codec === false ? '' : '\n        x-codec: json-schema'}
        payload:
          type: object
          additionalProperties: false
          required: [orderId, orderNumber, customer, channel, items, subtotal, shippingCost, total, shippingAddress, placedAt]
          properties:
            orderId: { type: string, format: uuid }
            orderNumber: { type: string }
            customer:
              type: object
              required: [id, email]
              properties: { id: { type: string }, email: { type: string, format: email } }
            channel: { type: string, enum: [web, mobile, pos] }
            items:
              type: array
              minItems: 1
              items:
                type: object
                required: [sku, productId, name, quantity, unitPrice, total]
                properties:
                  sku: { type: string }
                  productId: { type: string }
                  name: { type: string }
                  quantity: { type: integer, minimum: 1 }
                  unitPrice: { $ref: '#/components/schemas/Money' }
                  total: { $ref: '#/components/schemas/Money' }
            subtotal: { $ref: '#/components/schemas/Money' }
            shippingCost: { $ref: '#/components/schemas/Money' }
            total: { $ref: '#/components/schemas/Money' }
            couponCode: { type: [string, 'null'] }
            shippingAddress: { $ref: '#/components/schemas/Address' }
            placedAt: { type: string, format: date-time }
components:
  schemas:
    Money:
      type: object
      required: [amount, currency]
      properties:
        amount: { type: integer }
        currency: { type: string, minLength: 3, maxLength: 3 }
    Address:
      type: object
      required: [line1, city, postalCode, country]
      properties:
        line1: { type: string }
        line2: { type: [string, 'null'] }
        city: { type: string }
        postalCode: { type: string }
        region: { type: [string, 'null'] }
        country: { type: string }
operations:
  publishOrder:
    action: send
    channel: { $ref: '#/channels/orders' }
  handleOrder:
    action: receive
    channel: { $ref: '#/channels/orders' }
    bindings: { kafka: { groupId: ${options.groupId} } }
`;
}
