export default { common: { productName: 'Sekisho' } };
