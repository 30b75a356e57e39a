export default { cli: { placeholder: 'CLI のメッセージ' } };
